import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import type { Tensor, Tree, nn } from "@loom/ops";
import { compile, hostTensor } from "@loom/ops";
import { BACKENDS } from "@loom/testing";
import { decodeSafetensors } from "../checkpoint/safetensors";
import { specsOf } from "../train/step";
import type { TorchModel } from "../torch-state-dict";
import { fromTorchStateDict, readTorchStateDict, toTorchStateDict } from "../torch-state-dict";
import { alexnet } from "./alexnet";
import { lenet5 } from "./lenet";
import { mlp } from "./mlp";
import { perceptron } from "./perceptron";
import { cifarResnet, resnet } from "./resnet";
import { vgg } from "./vgg";

// State dicts written once by Debian's PyTorch 1.13 (fixtures/make-fixtures.py, not run in CI)
// for tiny versions of every zoo architecture, with the logits of one eval-mode forward pass.
// Loading each into loom and running loom's forward pass must give PyTorch's logits: that
// proves the names and the layouts (conv OIHW, dense [out, in], running statistics) at once.

const fixture = (file: string): Uint8Array =>
  readFileSync(fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url)));

/** make-fixtures.py's input: exact in float32, so both sides feed the same bits. */
const pattern = (shape: readonly number[]): HostTensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, (_, i) => ((i * 7919 + 13) % 512) / 256 - 1);
  return hostTensor(data, shape, "float32");
};

// The same models as make-fixtures.py's FIXTURES, built the loom way.
const CASES: readonly [string, string, nn.Layer, readonly number[]][] = [
  ["perceptron", "perceptron", perceptron(3), [2, 1, 4, 4]],
  ["mlp", "mlp", mlp({ hidden: [6, 5], classes: 3, batchNorm: true, dropout: 0.5 }), [2, 1, 4, 4]],
  ["lenet", "lenet", lenet5({ width: 1 / 8, batchNorm: true, dropout: 0.5 }), [2, 1, 28, 28]],
  ["alexnet", "alexnet", alexnet({ classes: 5, width: 1 / 64, hidden: 4 }), [1, 3, 63, 63]],
  ["vgg11", "vgg11", vgg(11, { classes: 5, width: 1 / 128, hidden: 2 }), [1, 3, 32, 32]],
  [
    "vgg16",
    "vgg16",
    vgg(16, { classes: 5, width: 1 / 128, hidden: 2, batchNorm: true }),
    [1, 3, 32, 32],
  ],
  ["resnet18", "resnet18", resnet(18, { classes: 5, width: 1 / 128 }), [2, 3, 16, 16]],
  ["resnet34", "resnet34", resnet(34, { classes: 5, width: 1 / 128 }), [2, 3, 16, 16]],
  ["resnet50", "resnet50", resnet(50, { classes: 5, width: 1 / 128 }), [2, 3, 16, 16]],
  ["resnet20", "resnet20", cifarResnet(20, { classes: 5, width: 1 / 8 }), [2, 3, 8, 8]],
  [
    "resnet20-b",
    "resnet20",
    cifarResnet(20, { classes: 5, width: 1 / 16, shortcut: "B" }),
    [2, 3, 8, 8],
  ],
];

const backend = BACKENDS.cpu.make();
afterAll(() => backend.dispose());

const forward = async (layer: nn.Layer, vars: Tree<HostTensor>, x: HostTensor) => {
  const f = compile(
    backend,
    (io: { params: Tree<Tensor>; state: Tree<Tensor>; x: Tensor }) => ({
      y: layer.apply(io.params, io.state, io.x, { training: false }).y,
    }),
    { ...(specsOf(vars) as object), x: { shape: x.shape, dtype: x.dtype } } as never,
  );
  return (await f.run({ ...(vars as object), x } as never)) as { y: HostTensor };
};

describe("PyTorch state dicts of the zoo models (fixtures from PyTorch 1.13)", () => {
  it("the fixtures stay small", () => {
    const total = CASES.reduce(
      (n, [file]) =>
        n + fixture(`${file}.safetensors`).length + fixture(`${file}.out.safetensors`).length,
      0,
    );
    expect(total).toBeLessThan(200_000);
  });

  it.each(CASES)(
    "%s: loom's eval forward pass gives PyTorch's logits",
    async (file, name, layer, shape) => {
      const model: TorchModel = { name, layer, input: shape.slice(1) };
      const stateDict = readTorchStateDict(fixture(`${file}.safetensors`));
      const want = decodeSafetensors(fixture(`${file}.out.safetensors`)).tensors["output"]!;
      const vars = fromTorchStateDict(model, stateDict);
      const { y } = await forward(layer, vars as unknown as Tree<HostTensor>, pattern(shape));
      expect(y.shape).toEqual(want.shape);
      const worst = Math.max(...Array.from(y.data, (v, i) => Math.abs(v - want.data[i]!)));
      expect(worst).toBeLessThan(1e-4);
      // Outputs that vanish would prove nothing.
      expect(Math.max(...Array.from(want.data, Math.abs))).toBeGreaterThan(0.01);

      // And back: every tensor PyTorch wrote (but the counts loom does not keep), bit for bit.
      const back = toTorchStateDict(model, vars);
      const counters = Object.keys(stateDict).filter((k) => k.endsWith("num_batches_tracked"));
      expect(Object.keys(back).sort()).toEqual(
        Object.keys(stateDict)
          .filter((k) => !counters.includes(k))
          .sort(),
      );
      for (const [k, t] of Object.entries(back)) {
        expect(t.shape, k).toEqual(stateDict[k]!.shape);
        expect(Array.from(t.data), k).toEqual(Array.from(stateDict[k]!.data));
      }
      for (const k of counters) expect(Array.from(stateDict[k]!.data), k).toEqual([7]);
    },
  );
});
