import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { hostTensor } from "@loom/ops";
import { decodeSafetensors } from "./checkpoint/safetensors";
import type { TorchModel, TorchStateDict } from "./torch-state-dict";
import {
  fromTorchStateDict,
  readTorchStateDict,
  toTorchStateDict,
  torchModel,
  torchNameTable,
} from "./torch-state-dict";
import { TORCH_MODEL_NAMES } from "./torch-names";
import { resnet } from "./zoo/resnet";

// Names and shapes only (shape inference, nothing runs); the fixtures test runs the models.

const names = (model: TorchModel) => torchNameTable(model).map((e) => e.torch);
const shapeOf = (model: TorchModel, name: string) =>
  torchNameTable(model).find((e) => e.torch === name)?.spec.shape;

/** A state dict of the right names and shapes for `model`, every value `fill` (counters 3, as I64 reads them). */
const stateDictOf = (model: TorchModel, fill = 0.5): Record<string, HostTensor> =>
  Object.fromEntries(
    torchNameTable(model).map((e) => {
      const shape = e.spec.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      return [
        e.torch,
        e.tree === "counter"
          ? hostTensor([3], [], "int32")
          : hostTensor(new Array<number>(n).fill(fill), shape, "float32"),
      ];
    }),
  );

const errorOf = (f: () => unknown): LoomError => {
  try {
    f();
  } catch (e) {
    if (e instanceof LoomError) return e;
    throw e;
  }
  throw new Error("expected a LoomError");
};

describe("torchvision's state-dict names at full size", () => {
  it.each([
    // [model, keys in torchvision's state_dict() (params + running stats + counts)]
    ["alexnet", 16],
    ["vgg11", 22],
    ["vgg16", 32],
    ["resnet18", 122],
    ["resnet34", 218],
    ["resnet50", 320],
  ])("%s has torchvision's %d keys", (model, count) => {
    expect(names(torchModel(model))).toHaveLength(count);
  });

  it("names and shapes torchvision's tensors", () => {
    const alex = torchModel("alexnet");
    expect(shapeOf(alex, "features.0.weight")).toEqual([64, 3, 11, 11]);
    expect(shapeOf(alex, "features.10.bias")).toEqual([256]);
    expect(shapeOf(alex, "classifier.1.weight")).toEqual([4096, 9216]);
    expect(shapeOf(alex, "classifier.6.weight")).toEqual([1000, 4096]);
    const vgg16bn = torchModel("vgg16", { batchNorm: true });
    expect(names(vgg16bn)).toHaveLength(32 + 13 * 5);
    expect(shapeOf(vgg16bn, "features.1.running_var")).toEqual([64]);
    expect(shapeOf(vgg16bn, "features.40.weight")).toEqual([512, 512, 3, 3]);
    expect(shapeOf(vgg16bn, "features.41.weight")).toEqual([512]);
    expect(shapeOf(vgg16bn, "classifier.0.weight")).toEqual([4096, 25088]);
    const r50 = torchModel("resnet50");
    expect(names(r50).slice(0, 6)).toEqual([
      "conv1.weight",
      "bn1.weight",
      "bn1.bias",
      "bn1.running_mean",
      "bn1.running_var",
      "bn1.num_batches_tracked",
    ]);
    expect(shapeOf(r50, "layer1.0.downsample.0.weight")).toEqual([256, 64, 1, 1]);
    expect(shapeOf(r50, "layer4.2.conv3.weight")).toEqual([2048, 512, 1, 1]);
    expect(shapeOf(r50, "fc.weight")).toEqual([1000, 2048]);
    expect(shapeOf(torchModel("resnet18"), "layer2.0.downsample.1.running_mean")).toEqual([128]);
  });

  it("names the CIFAR ResNets as Idelbayev's resnet_cifar10", () => {
    const r56 = torchModel("resnet56", { input: [3, 32, 32] });
    // conv1, bn1, 27 blocks of two convs and two batch norms, linear: 167 params, 55 x 3 buffers.
    expect(names(r56)).toHaveLength(167 + 165);
    expect(shapeOf(r56, "layer3.8.bn2.running_var")).toEqual([64]);
    expect(shapeOf(r56, "linear.weight")).toEqual([10, 64]);
    expect(names(r56).some((n) => n.includes("shortcut"))).toBe(false);
    // conv1, bn1 (5 entries), 15 blocks of 2 convs and 2 batch norms, linear (2).
    expect(names(torchModel("resnet32"))).toHaveLength(1 + 5 + 15 * (2 + 2 * 5) + 2);
  });

  it("names the perceptron, the MLP and LeNet by position in one nn.Sequential", () => {
    expect(names(torchModel("perceptron"))).toEqual(["1.weight", "1.bias"]);
    expect(names(torchModel("mlp"))).toEqual([
      "1.weight",
      "1.bias",
      "3.weight",
      "3.bias",
      "5.weight",
      "5.bias",
    ]);
    const lenet = names(torchModel("lenet", { batchNorm: true, dropout: 0.5 }));
    expect(lenet.filter((n) => n.endsWith(".weight"))).toEqual(
      ["0", "1", "4", "5", "9", "10", "13", "14", "17"].map((i) => `${i}.weight`),
    );
  });

  it("covers every zoo model", () => {
    for (const m of TORCH_MODEL_NAMES) expect(names(torchModel(m)).length).toBeGreaterThan(0);
  });
});

describe("fromTorchStateDict reports the first mismatch", () => {
  const model: TorchModel = {
    name: "resnet18",
    layer: resnet(18, { width: 1 / 16 }),
    input: [3, 32, 32],
  };

  it("reads back what toTorchStateDict wrote (no num_batches_tracked) with the same values", () => {
    const vars = fromTorchStateDict(model, stateDictOf(model, 0.5));
    const written = toTorchStateDict(model, vars);
    expect(Object.keys(written).some((n) => n.endsWith("num_batches_tracked"))).toBe(false);
    const back = fromTorchStateDict(model, written);
    const state = back.state as { bn1: { mean: HostTensor } };
    expect(Array.from(state.bn1.mean.data)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(toTorchStateDict(model, back)).toEqual(written);
  });

  it("loads a complete state dict, drops the counts and keeps the values", () => {
    const vars = fromTorchStateDict(model, stateDictOf(model, 0.25));
    const state = vars.state as { bn1: { mean: HostTensor }; layer1: { block: unknown }[] };
    expect(Array.from(state.bn1.mean.data)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(Object.keys(toTorchStateDict(model, vars))).toEqual(
      names(model).filter((n) => !n.endsWith("num_batches_tracked")),
    );
  });

  it("a missing key, naming the loom tensor", () => {
    const sd = stateDictOf(model);
    delete sd["layer1.0.bn1.running_mean"];
    sd["layer9.weight"] = hostTensor([1], [1], "float32");
    const e = errorOf(() => fromTorchStateDict(model, sd));
    expect(e.code).toBe("checkpoint_invalid");
    expect(e.message).toContain('missing key "layer1.0.bn1.running_mean"');
    expect(e.message).toContain("loom state.layer1.0.block.bn1.mean, f32[4]");
  });

  it("an unexpected key", () => {
    const sd = { ...stateDictOf(model), "layer9.weight": hostTensor([1], [1], "float32") };
    const e = errorOf(() => fromTorchStateDict(model, sd));
    expect(e.message).toContain('unexpected key "layer9.weight"');
  });

  it("a shape mismatch with both shapes, and the first one in state_dict() order", () => {
    const sd = stateDictOf(model);
    sd["fc.weight"] = hostTensor(new Array(1000 * 31).fill(0), [1000, 31], "float32");
    sd["layer1.1.conv2.weight"] = hostTensor(new Array(36).fill(0), [4, 1, 3, 3], "float32");
    const e = errorOf(() => fromTorchStateDict(model, sd));
    expect(e.code).toBe("shape_mismatch");
    expect(e.message).toContain(
      '"layer1.1.conv2.weight" has shape [4,1,3,3] in the state dict but [4,4,3,3] in resnet18',
    );
    expect(e.shapes).toEqual([
      [4, 1, 3, 3],
      [4, 4, 3, 3],
    ]);
  });

  it("dtypes: integer weights and float counts are refused; F64 becomes float32, or stays float64", () => {
    const ints = {
      ...stateDictOf(model),
      "conv1.weight": hostTensor(new Array(4 * 3 * 49).fill(1), [4, 3, 7, 7], "int32"),
    };
    expect(errorOf(() => fromTorchStateDict(model, ints)).message).toContain(
      '"conv1.weight" is i32[4,3,7,7] in the state dict but resnet18 needs a float tensor (F32 or F64)',
    );
    const floatCount = {
      ...stateDictOf(model),
      "bn1.num_batches_tracked": hostTensor([3], [], "float32"),
    };
    expect(errorOf(() => fromTorchStateDict(model, floatCount)).code).toBe("dtype_mismatch");

    const third = 1 / 3;
    const wide = Object.fromEntries(
      Object.entries(stateDictOf(model)).map(([k, t]) => [
        k,
        t.dtype === "float32"
          ? { ...t, dtype: "float64" as const, data: new Float64Array(t.data.length).fill(third) }
          : t,
      ]),
    );
    const narrow = fromTorchStateDict(model, wide).params as { fc: { w: HostTensor } };
    expect(narrow.fc.w.dtype).toBe("float32");
    expect(narrow.fc.w.data[0]).toBe(Math.fround(third));
    const kept = fromTorchStateDict(model, wide, { dtype: "float64" }).params as {
      fc: { w: HostTensor };
    };
    expect(kept.fc.w.data[0]).toBe(third);
  });

  it("toTorchStateDict checks the loom trees the same way", () => {
    const vars = fromTorchStateDict(model, stateDictOf(model));
    const params = vars.params as Record<string, unknown>;
    const e = errorOf(() =>
      toTorchStateDict(model, { params: { ...params, fc: {} }, state: vars.state }),
    );
    expect(e.message).toContain('missing key "fc.weight" in the loom variables (loom params.fc.w');
  });

  it("an unknown model or options the layout does not cover", () => {
    expect(errorOf(() => torchNameTable({ ...model, name: "resnet99" })).message).toContain(
      'no PyTorch layout for model "resnet99"',
    );
    // A ResNet's layer under AlexNet's layout: its stages are not features/classifier.
    expect(errorOf(() => torchNameTable({ ...model, name: "alexnet" })).message).toContain(
      "alexnet's PyTorch layout has no name for loom tensor",
    );
  });
});

describe("reading what safetensors.torch.save_file writes", () => {
  /** A safetensors file with one tensor `t` of tag `dtype` and raw `bytes`. */
  const file = (dtype: string, shape: number[], bytes: Uint8Array): Uint8Array => {
    let header = JSON.stringify({ t: { dtype, shape, data_offsets: [0, bytes.length] } });
    header += " ".repeat((8 - (header.length % 8)) % 8);
    const out = new Uint8Array(8 + header.length + bytes.length);
    new DataView(out.buffer).setUint32(0, header.length, true);
    out.set(new TextEncoder().encode(header), 8);
    out.set(bytes, 8 + header.length);
    return out;
  };
  const i64 = (...v: bigint[]) => new Uint8Array(new BigInt64Array(v).buffer);

  it("I64 as int32 for state dicts only, refusing values int32 cannot hold", () => {
    const sd: TorchStateDict = readTorchStateDict(file("I64", [2], i64(7n, -2147483648n)));
    expect(sd["t"]!.dtype).toBe("int32");
    expect(Array.from(sd["t"]!.data)).toEqual([7, -2147483648]);
    expect(() => decodeSafetensors(file("I64", [2], i64(7n, 1n)))).toThrow(
      /dtype "I64" is not one of F32, F64, I32, BOOL/,
    );
    expect(() => readTorchStateDict(file("I64", [1], i64(2n ** 31n)))).toThrow(
      /tensor "t": I64 element 0 is 2147483648, outside int32's range/,
    );
  });

  it("refuses F16 and BF16 by name, saying how to convert", () => {
    for (const tag of ["F16", "BF16"]) {
      expect(() => readTorchStateDict(file(tag, [2], new Uint8Array(4)))).toThrow(
        new RegExp(
          `dtype "${tag}" is not one of F32, F64, I32, I64, BOOL \\(loom does not hold it: convert`,
        ),
      );
    }
    expect(() => readTorchStateDict(file("I64", [2], new Uint8Array(8)))).toThrow(
      /spans 8 bytes but its shape and dtype need 16/,
    );
  });
});
