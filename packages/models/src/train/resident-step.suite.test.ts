import { describe, expect, it } from "vitest";
import type { DeviceTensor, LoomError } from "@loom/graph";
import type { nn, Tree } from "@loom/ops";
import { add, compile, disposeTree, hostTensor, key, optim, toDevice, toHost } from "@loom/ops";
import {
  BACKENDS,
  compileStep,
  describeBackends,
  mismatch,
  randomBatch,
  randomFloat32,
  treeMismatch,
} from "@loom/testing";
import type { Dataset } from "../data/dataset";
import { fit, initModel, lenet5, mlp, specsOf, trainStep } from "../index";

// Training steps whose variables stay on the backend's device (`runResident`, `toDevice`):
// a few steps on WebGL (textures threaded from step to step, never read back) and on the CPU
// backend (host-backed handles) must equal the same steps run on the CPU with host tensors,
// and the handles must behave (pass-through outputs copied, disposal refused afterwards).

const BATCH = 8;
const STEPS = 3;

const batchOf = (seed: number) => randomBatch(seed, BATCH);

const expectLoomError = async (p: Promise<unknown>, pattern: RegExp) => {
  const e = (await p.then(
    () => undefined,
    (err: unknown) => err,
  )) as LoomError | undefined;
  expect(e?.name).toBe("LoomError");
  expect(e?.message).toMatch(pattern);
};

describeBackends(["cpu", "webgl"], (on) => {
  describe.each([
    ["MLP 784-64-10", () => mlp({ hidden: [64] })],
    ["LeNet-5", () => lenet5()],
  ] as const)("%s", (_, makeModel) => {
    const model: nn.Layer = makeModel();
    const ref = BACKENDS.cpu.make();

    it(`takes ${STEPS} resident steps as the CPU takes them on host tensors`, async () => {
      const vars = await initModel(ref, model, 3, { shape: [BATCH, 1, 28, 28] });
      const optimizer = optim.sgd(0.05, { momentum: 0.9 });
      const start = { ...vars, optState: optimizer.init(vars.params) };
      const fixed = (i: number) => ({
        ...batchOf(i),
        key: key(5),
        step: hostTensor([i], [], "int32"),
      });
      const specs = specsOf({ ...start, ...fixed(0) } as never);
      const want = compileStep(ref, model, optimizer, specs);
      const got = compile(on.backend(), trainStep({ model, optimizer }) as never, specs);
      let host = start;
      let device = {
        params: toDevice(on.backend(), start.params),
        state: toDevice(on.backend(), start.state),
        optState: toDevice(on.backend(), start.optState),
      };
      for (let i = 0; i < STEPS; i++) {
        const w = await want.run({ ...host, ...fixed(i) } as never);
        const g = (await got.runResident({ ...device, ...fixed(i) } as never)) as unknown as {
          params: Tree<DeviceTensor>;
          state: Tree<DeviceTensor>;
          optState: Tree<DeviceTensor>;
          loss: DeviceTensor;
          correct: DeviceTensor;
        };
        // The old variables may go as soon as the step that replaces them has been called.
        disposeTree(device);
        device = { params: g.params, state: g.state, optState: g.optState };
        expect(mismatch(await g.loss.read(), w.loss, { rtol: 1e-5 })).toBeUndefined();
        expect((await g.correct.read()).data[0]).toBe(w.correct.data[0]);
        g.loss.dispose();
        g.correct.dispose();
        host = { params: w.params, state: w.state, optState: w.optState };
      }
      expect(treeMismatch((await toHost(device.params)) as never, host.params, 1e-5)).toBe(
        undefined,
      );
      expect(treeMismatch((await toHost(device.optState)) as never, host.optState, 1e-4)).toBe(
        undefined,
      );
      disposeTree(device);
      got.dispose();
    });
  });

  it("fit with variables on the device ends where the CPU's fit ends", async () => {
    const n = 4 * BATCH;
    const images = randomFloat32([n, 1, 28, 28], 11).data as Float32Array;
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 3) % 10);
    const train: Dataset = { images, labels, count: n, shape: [1, 28, 28] };
    const model = mlp({ hidden: [32] });
    const start = await initModel(ref0, model, 2, { shape: ["N", 1, 28, 28] });
    const run = (backend: typeof ref0) =>
      fit({
        backend,
        model,
        optimizer: optim.adam(1e-3),
        train,
        epochs: 2,
        batchSize: BATCH,
        seed: 1,
        start,
      });
    const [got, want] = await Promise.all([run(on.backend()), run(ref0)]);
    expect(got.state.step).toBe(8);
    expect(got.history.map((h) => h.train.accuracy)).toEqual(
      want.history.map((h) => h.train.accuracy),
    );
    expect(treeMismatch(got.state.params, want.state.params, 1e-4)).toBeUndefined();
  });

  it("hands out pass-through outputs as copies and refuses disposed handles", async () => {
    const f = compile(on.backend(), ({ a, b }) => ({ same: a, sum: add(a, b), sum2: add(a, b) }), {
      a: { shape: [3] },
      b: { shape: [3] },
    });
    const a = toDevice(on.backend(), hostTensor([1, 2, 3], [3])) as DeviceTensor;
    const out = await f.runResident({ a, b: hostTensor([10, 20, 30], [3]) });
    a.dispose();
    expect(a.isDisposed()).toBe(true);
    await expectLoomError(a.read(), /disposed/);
    await expectLoomError(f.runResident({ a, b: hostTensor([0, 0, 0], [3]) }), /disposed/);
    // The copy of `a` outlives `a`; the plain `run` reads device feeds back too.
    expect(Array.from((await out.same.read()).data)).toEqual([1, 2, 3]);
    expect(Array.from((await out.sum.read()).data)).toEqual([11, 22, 33]);
    const again = await f.run({ a: out.sum, b: out.same });
    expect(Array.from(again.sum.data)).toEqual([12, 24, 36]);
    disposeTree(out);
    f.dispose();
  });
});

const ref0 = BACKENDS.cpu.make();
