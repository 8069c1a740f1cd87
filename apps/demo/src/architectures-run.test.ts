import { describe, expect, it } from "vitest";
import type { DType, HostTensor } from "@loom/graph";
import { numel } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import { rng as uniform } from "@loom/testing";
import type { ModelVars } from "@loom/models";
import {
  alexnet,
  cifarResnet,
  getModel,
  initModel,
  resnet,
  specsOf,
  varSpecs,
  vgg,
  zeroPadShortcut,
} from "@loom/models";
import type { Tensor, TensorSpec, Tree, nn } from "@loom/ops";
import { nn as nnLayers } from "@loom/ops";
import {
  compile,
  flattenTree,
  hostTensor,
  isHostTensor,
  isSpec,
  key,
  mapTree,
  softmaxCrossEntropy,
  valueAndGrad,
} from "@loom/ops";

// Every architecture runs forward and backward on the CPU backend at a small size. Full-size
// AlexNet/VGG (61M/138M params) would spend the time budget on random initialisation alone,
// so they run at reduced widths; the layer wiring is the full models' (architectures.test.ts
// checks their exact parameter counts and shapes).

const backend = cpuBackend();

/** @loom/testing's seeded generator, scaled to [-1, 1), for inputs and host-made params. */
const rng = (seed: number) => {
  const r = uniform(seed);
  return () => r() * 2 - 1;
};

const randomTensor = (shape: readonly number[], r: () => number, dtype: DType = "float32") =>
  hostTensor(Array.from({ length: numel(shape) }, r), shape, dtype);

/** Cross-entropy of host logits [B, C] against labels, in plain JS (the loss's reference). */
const crossEntropy = (logits: HostTensor, labels: readonly number[]) => {
  const [b, c] = logits.shape as [number, number];
  let total = 0;
  for (let i = 0; i < b; i++) {
    const row = Array.from(logits.data.subarray(i * c, (i + 1) * c));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    total += lse - row[labels[i]!]!;
  }
  return total / b;
};

const leaves = (t: Tree<HostTensor>) => flattenTree(t, isHostTensor);

type LossIo = {
  params: Tree<Tensor>;
  state: Tree<Tensor>;
  x: Tensor;
  y: Tensor;
  k: Tensor;
};

/** Compiles loss, logits, gradient and new state of a layer in training mode (batch norm, dropout). */
const lossAndGrad = (
  layer: nn.Layer,
  vars: ModelVars,
  spec: TensorSpec,
  batch: number,
  training = true,
) => {
  const specs: Tree<TensorSpec> = {
    params: specsOf(vars.params),
    state: specsOf(vars.state),
    x: spec,
    y: { shape: [batch], dtype: "int32" },
    k: { shape: [2], dtype: "int32" },
  };
  return compile(
    backend,
    (io: Tree<Tensor>): Tree<Tensor> => {
      const { params, state, x, y, k } = io as unknown as LossIo;
      let out: { y: Tensor; state: Tree<Tensor> } | undefined;
      const { value, grad } = valueAndGrad((p: Tree<Tensor>) => {
        out = layer.apply(p, state, x, { training, key: k });
        return softmaxCrossEntropy(out.y, y);
      })(params);
      return { loss: value, logits: out!.y, grad, state: out!.state };
    },
    specs,
  );
};

/** The dot product of two equally long arrays. */
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

type RunOut = {
  loss: HostTensor;
  logits: HostTensor;
  grad: Tree<HostTensor>;
  state: Tree<HostTensor>;
};

const CASES: [string, nn.Layer, number[], number, number][] = [
  // name, layer, input example, classes, batch
  ["resnet18 (width 1/4)", resnet(18, { classes: 10, width: 1 / 4 }), [3, 64, 64], 10, 1],
  ["resnet34 (width 1/8)", resnet(34, { classes: 5, width: 1 / 8 }), [3, 32, 32], 5, 2],
  ["resnet50 (width 1/8)", resnet(50, { classes: 5, width: 1 / 8 }), [3, 32, 32], 5, 2],
  ["resnet20 on MNIST", getModel("resnet20").layer, [1, 28, 28], 10, 1],
  ["resnet32 (option B)", cifarResnet(32, { shortcut: "B" }), [1, 12, 12], 10, 2],
  ["resnet56", getModel("resnet56").layer, [1, 8, 8], 10, 2],
  ["alexnet (width 1/8)", alexnet({ width: 1 / 8, hidden: 64, classes: 5 }), [3, 63, 63], 5, 2],
  ["vgg11 (width 1/8)", vgg(11, { width: 1 / 8, hidden: 64, classes: 5 }), [3, 32, 32], 5, 2],
  [
    "vgg16 with batch norm (width 1/8)",
    vgg(16, { width: 1 / 8, hidden: 64, classes: 5, batchNorm: true }),
    [3, 32, 32],
    5,
    2,
  ],
];

describe("architectures run forward and backward on the CPU backend", () => {
  it.each(CASES)("%s", async (_name, layer, example, classes, batch) => {
    const spec = { shape: [batch, ...example] };
    const vars = await initModel(backend, layer, 7, spec);
    const f = lossAndGrad(layer, vars, spec, batch);
    const r = rng(11);
    const labels = Array.from({ length: batch }, (_, i) => (3 * i + 1) % classes);
    const out = (await f.run({
      ...vars,
      x: randomTensor(spec.shape, r),
      y: hostTensor(labels, [batch], "int32"),
      k: key(5),
    } as never)) as unknown as RunOut;
    f.dispose();
    expect(out.logits.shape).toEqual([batch, classes]);
    expect(out.logits.data.every(Number.isFinite)).toBe(true);
    expect(out.loss.data[0]).toBeCloseTo(crossEntropy(out.logits, labels), 4);
    // One gradient per parameter, of its shape, finite, and not all zero.
    const params = leaves(vars.params);
    const grads = leaves(out.grad);
    expect(grads.map((g) => [g.path, g.leaf.shape])).toEqual(
      params.map((p) => [p.path, p.leaf.shape]),
    );
    for (const g of grads) expect(g.leaf.data.every(Number.isFinite), g.path).toBe(true);
    expect(grads.some((g) => g.leaf.data.some((v) => v !== 0))).toBe(true);
    expect(leaves(out.state).map((s) => [s.path, s.leaf.shape])).toEqual(
      leaves(vars.state).map((s) => [s.path, s.leaf.shape]),
    );
  });

  it("runs ResNet-18 at full width forward on 1x3x64x64", async () => {
    const layer = resnet(18, { classes: 10 });
    const spec = { shape: [1, 3, 64, 64] };
    const specs = varSpecs(layer, spec);
    // Host-made params (uniform in +-1/sqrt(fan-in), batch norm as initialised): loom's own
    // initialiser would spend seconds drawing 11M normals.
    const r = rng(3);
    const fill = (s: TensorSpec, path: string): HostTensor => {
      const shape = s.shape as number[];
      const n = numel(shape);
      const v = path.endsWith("gamma") || path.endsWith("var") ? 1 : 0;
      if (/(gamma|beta|mean|var)$/.test(path))
        return hostTensor(new Float32Array(n).fill(v), shape);
      const bound = 1 / Math.sqrt(shape.length > 1 ? n / shape[0]! : n);
      return hostTensor(
        Float32Array.from({ length: n }, () => r() * bound * 3),
        shape,
      );
    };
    const params = mapTree(specs.params, isSpec, fill);
    const state = mapTree(specs.state, isSpec, fill);
    const f = compile(
      backend,
      (io: { params: Tree<Tensor>; state: Tree<Tensor>; x: Tensor }) => ({
        logits: layer.apply(io.params, io.state, io.x, { training: false }).y,
      }),
      { params: specs.params, state: specs.state, x: spec } as never,
    );
    const out = (await f.run({ params, state, x: randomTensor(spec.shape, r) } as never)) as {
      logits: HostTensor;
    };
    f.dispose();
    expect(out.logits.shape).toEqual([1, 10]);
    expect(out.logits.data.every(Number.isFinite)).toBe(true);
    expect(new Set(out.logits.data).size).toBeGreaterThan(1);
  });
});

type Img = { c: number; h: number; w: number; d: Float64Array };

/** Plain-JS reference layers for one image, for the CIFAR ResNet's forward pass. */
const ref = {
  conv: (x: Img, w: HostTensor, stride: number): Img => {
    const [o, c, k] = w.shape as number[];
    const p = (k! - 1) / 2;
    const h = Math.floor((x.h + 2 * p - k!) / stride) + 1;
    const wd = Math.floor((x.w + 2 * p - k!) / stride) + 1;
    const d = new Float64Array(o! * h * wd);
    for (let oc = 0; oc < o!; oc++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < wd; j++) {
          let s = 0;
          for (let ic = 0; ic < c!; ic++)
            for (let u = 0; u < k!; u++)
              for (let v = 0; v < k!; v++) {
                const yi = i * stride + u - p;
                const xj = j * stride + v - p;
                if (yi < 0 || yi >= x.h || xj < 0 || xj >= x.w) continue;
                s += x.d[(ic * x.h + yi) * x.w + xj]! * w.data[((oc * c! + ic) * k! + u) * k! + v]!;
              }
          d[(oc * h + i) * wd + j] = s;
        }
    return { c: o!, h, w: wd, d };
  },
  bn: (x: Img, p: Record<string, HostTensor>, s: Record<string, HostTensor>): Img => {
    const d = x.d.map((v, i) => {
      const ch = Math.floor(i / (x.h * x.w));
      const inv = 1 / Math.sqrt(s["var"]!.data[ch]! + 1e-5);
      return (v - s["mean"]!.data[ch]!) * inv * p["gamma"]!.data[ch]! + p["beta"]!.data[ch]!;
    });
    return { ...x, d };
  },
  relu: (x: Img): Img => ({ ...x, d: x.d.map((v) => Math.max(v, 0)) }),
  add: (a: Img, b: Img): Img => ({ ...a, d: a.d.map((v, i) => v + b.d[i]!) }),
  /** Option A: every second pixel, channels zero-padded half before and half after. */
  shortcutA: (x: Img, c: number): Img => {
    const h = Math.ceil(x.h / 2);
    const w = Math.ceil(x.w / 2);
    const lo = Math.floor((c - x.c) / 2);
    const d = new Float64Array(c * h * w);
    for (let ch = 0; ch < x.c; ch++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < w; j++)
          d[((ch + lo) * h + i) * w + j] = x.d[(ch * x.h + 2 * i) * x.w + 2 * j]!;
    return { c, h, w, d };
  },
};

describe("a CIFAR ResNet against a plain-JS reference", () => {
  it("computes ResNet-8 (option A, n = 1) in inference mode like the reference", async () => {
    const layer = cifarResnet(8, { classes: 4 });
    const [b, c, h, w] = [2, 3, 9, 9];
    const spec = { shape: [b, c, h, w] };
    const specs = varSpecs(layer, spec);
    const r = rng(21);
    // Random params and running statistics (variances positive), so batch norm is not the identity.
    const fill = (s: TensorSpec, path: string) =>
      path.endsWith("var")
        ? hostTensor(
            Array.from({ length: numel(s.shape as number[]) }, () => 1 + r()),
            s.shape,
          )
        : randomTensor(s.shape as number[], () => r() * 0.5);
    const params = mapTree(specs.params, isSpec, fill) as Record<string, never>;
    const state = mapTree(specs.state, isSpec, fill) as Record<string, never>;
    const x = randomTensor(spec.shape, r);
    const f = compile(
      backend,
      (io: { params: Tree<Tensor>; state: Tree<Tensor>; x: Tensor }) => ({
        logits: layer.apply(io.params, io.state, io.x, { training: false }).y,
      }),
      { params: specs.params, state: specs.state, x: spec } as never,
    );
    const out = (await f.run({ params, state, x } as never)) as { logits: HostTensor };
    f.dispose();

    const at = (t: unknown, ...path: string[]) =>
      path.reduce((n, k) => (n as Record<string, unknown>)[k], t) as Record<string, HostTensor>;
    const block = (img: Img, stage: string, ch: number, stride: number) => {
      const p = at(params, stage, "0", "block");
      const s = at(state, stage, "0", "block");
      let y = ref.relu(
        ref.bn(ref.conv(img, at(p, "conv1")["w"]!, stride), at(p, "bn1"), at(s, "bn1")),
      );
      y = ref.bn(ref.conv(y, at(p, "conv2")["w"]!, 1), at(p, "bn2"), at(s, "bn2"));
      return ref.relu(ref.add(y, stride === 1 ? img : ref.shortcutA(img, ch)));
    };
    const expected: number[] = [];
    for (let n = 0; n < b; n++) {
      const img: Img = {
        c,
        h,
        w,
        d: Float64Array.from(x.data.subarray(n * c * h * w, (n + 1) * c * h * w)),
      };
      let y = ref.relu(
        ref.bn(ref.conv(img, at(params, "conv1")["w"]!, 1), at(params, "bn1"), at(state, "bn1")),
      );
      y = block(block(block(y, "layer1", 16, 1), "layer2", 32, 2), "layer3", 64, 2);
      expect([y.c, y.h, y.w]).toEqual([64, 3, 3]);
      const pooled = Array.from({ length: y.c }, (_, ch) => {
        let s = 0;
        for (let i = 0; i < y.h * y.w; i++) s += y.d[ch * y.h * y.w + i]!;
        return s / (y.h * y.w);
      });
      const fc = at(params, "fc");
      for (let o = 0; o < 4; o++)
        expected.push(
          pooled.reduce((s, v, i) => s + v * fc["w"]!.data[o * 64 + i]!, fc["b"]!.data[o]!),
        );
    }
    expect(out.logits.shape).toEqual([b, 4]);
    Array.from(out.logits.data).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
  });
});

// The check runs at initial params shifted by noise: at init, zero batch-norm shifts and narrow
// ReLU layers put many pre-activations exactly on ReLU's kink, where a central difference sees
// half a slope. ResNet-50 is checked in inference mode: at 32x32 its last stage is 1x1, and
// batch statistics over 2 values are a near-sign function whose difference quotient does not
// converge; ResNet-8 covers batch norm's training-mode gradient.
describe("gradients against finite differences (float64)", () => {
  it.each([
    ["resnet8 (option A), training", cifarResnet(8, { classes: 3 }), [1, 6, 6], true],
    [
      "resnet50 (width 1/16), inference",
      resnet(50, { classes: 3, width: 1 / 16 }),
      [3, 32, 32],
      false,
    ],
    [
      "alexnet (width 1/16), training",
      alexnet({ width: 1 / 16, hidden: 8, classes: 3 }),
      [3, 63, 63],
      true,
    ],
  ] as const)(
    "%s: <grad, v> matches a central difference",
    async (_n, layer, example, training) => {
      const batch = 2;
      const spec = { shape: [batch, ...example], dtype: "float64" as const };
      const init = await initModel(backend, layer, 3, spec);
      const r = rng(9);
      const shifted = mapTree(init.params, isHostTensor, (t) =>
        hostTensor(
          t.data.map((v) => v + 0.1 * r()),
          t.shape,
          "float64",
        ),
      );
      const vars = { params: shifted, state: init.state };
      const f = lossAndGrad(layer, vars, spec, batch, training);
      const x = randomTensor(spec.shape, r, "float64");
      const y = hostTensor([0, 2], [batch], "int32");
      const dir = new Map(
        leaves(vars.params).map(({ path, leaf }) => [
          path,
          randomTensor(leaf.shape as number[], r).data,
        ]),
      );
      const at = async (eps: number) => {
        const params = mapTree(vars.params, isHostTensor, (t, path) =>
          hostTensor(
            t.data.map((p, i) => p + eps * dir.get(path)![i]!),
            t.shape,
            "float64",
          ),
        );
        const feeds = { params, state: vars.state, x, y, k: key(1) };
        return (await f.run(feeds as never)) as unknown as RunOut;
      };
      const base = await at(0);
      const directional = leaves(base.grad).reduce(
        (s, g) => s + dot(g.leaf.data, dir.get(g.path)!),
        0,
      );
      const h = 1e-6;
      const numeric = ((await at(h)).loss.data[0]! - (await at(-h)).loss.data[0]!) / (2 * h);
      f.dispose();
      expect(Math.abs(directional - numeric)).toBeLessThan(1e-6 * Math.max(1, Math.abs(numeric)));
    },
  );
});

describe("building blocks against plain-JS references", () => {
  const runLayer = async (layer: nn.Layer, x: HostTensor) => {
    const f = compile(
      backend,
      ({ x: t }: { x: Tensor }) => ({ y: layer.apply({}, {}, t, { training: false }).y }),
      {
        x: { shape: x.shape },
      },
    );
    const out = (await f.run({ x })) as { y: HostTensor };
    f.dispose();
    return out.y;
  };

  it.each([
    [5, 3, 2],
    [10, 7, 4],
    [3, 2, 6],
    [12, 5, 6],
    [6, 6, 6],
  ])("adaptive average pooling of %dx%d to %d matches PyTorch's bins", async (hh, ww, size) => {
    const r = rng(hh * 31 + ww);
    const x = randomTensor([2, 3, hh, ww], r);
    const y = await runLayer(nnLayers.adaptiveAvgPool2d(size), x);
    expect(y.shape).toEqual([2, 3, size, size]);
    const bin = (i: number, n: number) => [
      Math.floor((i * n) / size),
      Math.ceil(((i + 1) * n) / size),
    ];
    let k = 0;
    for (let nc = 0; nc < 6; nc++)
      for (let i = 0; i < size; i++)
        for (let j = 0; j < size; j++) {
          const [r0, r1] = bin(i, hh);
          const [c0, c1] = bin(j, ww);
          let s = 0;
          for (let a = r0!; a < r1!; a++)
            for (let b = c0!; b < c1!; b++) s += x.data[(nc * hh + a) * ww + b]!;
          expect(y.data[k++]).toBeCloseTo(s / ((r1! - r0!) * (c1! - c0!)), 5);
        }
  });

  it("zero-pad shortcut: strided identity with zero channels around it", async () => {
    const x = randomTensor([1, 2, 5, 4], rng(4));
    const y = await runLayer(zeroPadShortcut(6, 2), x);
    expect(y.shape).toEqual([1, 6, 3, 2]);
    const expected = Array.from({ length: 6 * 3 * 2 }, (_, i) => {
      const [ch, row, col] = [Math.floor(i / 6), Math.floor(i / 2) % 3, i % 2];
      return ch < 2 || ch >= 4 ? 0 : x.data[((ch - 2) * 5 + 2 * row) * 4 + 2 * col]!;
    });
    expect(Array.from(y.data)).toEqual(expected);
  });
});
