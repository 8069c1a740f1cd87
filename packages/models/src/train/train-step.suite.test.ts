import { describe, expect, it } from "vitest";
import type { Backend } from "@loom/graph";
import type { nn } from "@loom/ops";
import { hostTensor, key, optim } from "@loom/ops";
import {
  ALL_BACKENDS,
  BACKENDS,
  compileStep,
  describeBackends,
  measure,
  mismatch,
  randomBatch,
  treeMismatch,
} from "@loom/testing";
import { initModel, lenet5, mlp, specsOf } from "../index";

// Whole training steps (forward, backward, optimizer update: one graph, one executable) of an
// MLP and of LeNet-5 on every backend against the CPU backend on one thread: same initial
// parameters (random initialisation runs in the graph, with Threefry: bit-identical), same
// loss and updated parameters within 1e-5 of each tensor's largest value (WebGL computes in
// float32 on the GPU). Then a few steps on the backend must lower the loss of a fixed batch.

const BATCH = 16;
/**
 * The reference interpreter evaluates every element of every node on its own (a LeNet step at
 * batch 16 takes ~33 s, an MLP step ~5 s); at batch 2 it runs the same graph, every node and
 * the batch reductions, in an eighth of that.
 */
const REFERENCE_BATCH = 2;

const batch = randomBatch;

describeBackends(ALL_BACKENDS, (on) => {
  describe.each([
    ["MLP 784-64-32-10", () => mlp({ hidden: [64, 32] })],
    ["LeNet-5", () => lenet5()],
  ] as const)("%s", (_, makeModel) => {
    const model: nn.Layer = makeModel();
    const size = on.name === "reference" ? REFERENCE_BATCH : BATCH;
    const input = { shape: [size, 1, 28, 28] };
    // The oracle is the CPU backend on one thread (the reference interpreter takes ~30 s for a
    // LeNet step); the reference case checks the CPU against the interpreter in turn.
    const ref = BACKENDS.cpu.make();

    it("initialises to the CPU's parameters, bit for bit", async () => {
      const [a, b] = await Promise.all([
        initModel(on.backend(), model, 3, input),
        initModel(ref, model, 3, input),
      ]);
      expect(treeMismatch(a.params, b.params, 0)).toBeUndefined();
    });

    it("takes the CPU's training step (SGD with momentum, then Adam)", async () => {
      const vars = await initModel(ref, model, 3, input);
      const optimizers = [
        { optimizer: optim.sgd(0.05, { momentum: 0.9 }), rtol: 1e-5 },
        // Adam divides by sqrt(v) + eps, magnifying float32 differences of tiny gradients.
        { optimizer: optim.adam(1e-3), rtol: 1e-4 },
      ];
      for (const { optimizer, rtol } of optimizers) {
        const feeds = {
          ...vars,
          optState: optimizer.init(vars.params),
          ...batch(1, size),
          key: key(5),
          step: hostTensor([0], [], "int32"),
        };
        const specs = specsOf(feeds as never);
        const run = (b: Backend) => compileStep(b, model, optimizer, specs).run(feeds as never);
        const [got, want] = await Promise.all([run(on.backend()), run(ref)]);
        expect(mismatch(got.loss, want.loss, { rtol: 1e-5 })).toBeUndefined();
        expect(got.correct.data[0]).toBe(want.correct.data[0]);
        expect(treeMismatch(got.params, want.params, rtol)).toBeUndefined();
        expect(treeMismatch(got.optState, want.optState, 1e-4)).toBeUndefined();
      }
    });

    it("lowers the loss of a batch over a few steps", async () => {
      const vars = await initModel(on.backend(), model, 4, input);
      const optimizer = optim.adam(2e-3);
      const { losses, ms } = await measure(on.backend(), model, optimizer, vars, batch(2, size), 6);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]! * 0.9);
      console.log(
        `${_}, batch ${size}: ${ms.toFixed(0)} ms/step on ${on.name}; losses ${losses.map((l) => l.toFixed(4)).join(" ")}`,
      );
    });
  });
});
