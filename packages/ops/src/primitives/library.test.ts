import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Attrs, Backend, HostTensor } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "../index";
import { avgPool2d, compile, conv2d, hostTensor, matmul, maxPool2d, prim } from "../index";
import { describeBackends, FLOAT64_BACKENDS } from "@loom/testing";
import { randomValues } from "@loom/testing";

// Library kernels (matmul, convolution, pooling and their gradients) run through
// compile() + backend(), checked against TensorFlow.js on the CPU. tfjs is NHWC/HWIO,
// loom NCHW/OIHW: inputs are transposed on the tfjs side.

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** A fed value: float32 data with its shape. */
interface Arg {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Deterministic values in [-1, 1), rounded to float32. */
const rand = (shape: readonly number[], seed: number): Arg => ({
  data: randomValues(
    shape.reduce((p, d) => p * d, 1),
    seed,
  ),
  shape,
});

/** Compiles `build` over the args' shapes (or `specs`) for the reference backend and runs it once. */
const runOf =
  (backend: () => Backend) =>
  async (
    build: (xs: Tensor[]) => Tensor,
    args: readonly Arg[],
    specs: readonly TensorSpec[] = args.map((a) => ({ shape: a.shape })),
  ): Promise<HostTensor> => {
    const fn = (xs: Tree<Tensor>) => ({ y: build(xs as Tensor[]) });
    const f = compile(backend(), fn, specs as Tree<TensorSpec>);
    const out = (await f.run(args.map((a) => hostTensor(a.data, a.shape)))) as { y: HostTensor };
    return out.y;
  };

/** Elementwise closeness with a tolerance of 1e-4 relative to the magnitude (absolute near 0). */
const expectClose = (
  actual: HostTensor,
  expected: { data: ArrayLike<number>; shape: readonly number[] },
) => {
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.data.length).toBe(expected.data.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.data.length; i++) {
    const e = expected.data[i]!;
    const err = Math.abs(actual.data[i]! - e) / (1 + Math.abs(e));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `worst error at flat index ${at}`).toBeLessThan(1e-4);
};

// ---------- tfjs oracles (layout conversions on the tfjs side) ----------

/** tf.tidy for results that are plain data (tf.tidy's types only admit tensor containers). */
const tidy = <T>(f: () => T): T => {
  tf.engine().startScope();
  try {
    return f();
  } finally {
    tf.engine().endScope();
  }
};

const toNHWC = (a: Arg) => tf.transpose(tf.tensor4d(a.data, a.shape as never), [0, 2, 3, 1]);
const fromNHWC = (t: tf.Tensor) => tf.transpose(t, [0, 3, 1, 2]);
const result = (t: tf.Tensor) => ({ data: t.dataSync(), shape: t.shape });

/** Convolution attributes as the primitives take them. */
interface ConvAttrs {
  stride: [number, number];
  pad: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

/** OIHW -> HWIO with the dilation written into the kernel as zeros (tfjs has no dilated gradients). */
const dilatedHWIO = (w: Arg, [dh, dw]: [number, number]): tf.Tensor4D => {
  const [O, I, KH, KW] = w.shape as [number, number, number, number];
  const EH = dh * (KH - 1) + 1;
  const EW = dw * (KW - 1) + 1;
  const out = new Float32Array(EH * EW * I * O);
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++)
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++)
          out[((kh * dh * EW + kw * dw) * I + i) * O + o] =
            w.data[((o * I + i) * KH + kh) * KW + kw]!;
  return tf.tensor4d(out, [EH, EW, I, O]);
};

/** The dilated-kernel gradient HWIO back at the real taps, as OIHW. */
const undilateToOIHW = (g: tf.Tensor, shape: readonly number[], [dh, dw]: [number, number]) => {
  const [O, I, KH, KW] = shape as [number, number, number, number];
  const src = g.dataSync();
  const EW = g.shape[1]!;
  const data = new Float32Array(O * I * KH * KW);
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++)
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++)
          data[((o * I + i) * KH + kh) * KW + kw] =
            src[((kh * dh * EW + kw * dw) * I + i) * O + o]!;
  return { data, shape };
};

/** A grouped convolution in tfjs: one tf.conv2d per group on channel slices, concatenated. */
const tfGroupedConv = (x: tf.Tensor4D, w: tf.Tensor4D, a: ConvAttrs): tf.Tensor4D => {
  const C = x.shape[3];
  const O = w.shape[3];
  const cg = C / a.groups;
  const og = O / a.groups;
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [a.pad[0], a.pad[1]],
    [a.pad[2], a.pad[3]],
    [0, 0],
  ];
  const parts = Array.from({ length: a.groups }, (_, g) =>
    tf.conv2d(
      tf.slice(x, [0, 0, 0, g * cg], [-1, -1, -1, cg]),
      tf.slice(w, [0, 0, 0, g * og], [-1, -1, -1, og]),
      a.stride,
      pad,
    ),
  );
  return parts.length === 1 ? parts[0]! : tf.concat(parts, 3);
};

/** tfjs's forward convolution and its gradients (by tf.grads) for an upstream gradient dy. */
const tfConv = (x: Arg, w: Arg, dy: Arg | undefined, a: ConvAttrs) =>
  tidy(() => {
    const xt = toNHWC(x);
    const wt = dilatedHWIO(w, a.dilation);
    const y = result(fromNHWC(tfGroupedConv(xt, wt, a)));
    if (dy === undefined) return { y };
    const [gx, gw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
      tfGroupedConv(xx as tf.Tensor4D, ww as tf.Tensor4D, a),
    )([xt, wt], toNHWC(dy));
    return { y, dx: result(fromNHWC(gx!)), dw: undilateToOIHW(gw!, w.shape, a.dilation) };
  });

// ---------- matmul ----------

describeBackends(FLOAT64_BACKENDS, (on) => {
  const run = runOf(on.backend);
  describe("matmul kernel", () => {
    const cases: [string, number[], number[]][] = [
      ["2-D", [2, 3], [3, 4]],
      ["tall and thin", [17, 1], [1, 9]],
      ["batched", [3, 4, 5], [3, 5, 2]],
      ["broadcast batch dims", [5, 1, 2, 3], [4, 3, 6]],
      ["vector x matrix", [3], [3, 4]],
      ["matrix x vector", [2, 3], [3]],
      ["vector x batched matrix", [3], [2, 3, 4]],
      ["dot product", [7], [7]],
    ];
    it.each(cases)("%s: %j x %j", async (_name, sa, sb) => {
      const a = rand(sa, 1);
      const b = rand(sb, 2);
      const got = await run(([x, y]) => matmul(x!, y!), [a, b]);
      const want = tidy(() => {
        let ta = tf.tensor(a.data, sa.length === 1 ? [1, sa[0]!] : sa);
        let tb = tf.tensor(b.data, sb.length === 1 ? [sb[0]!, 1] : sb);
        // tfjs broadcasts batch dims only partly: broadcast them explicitly (NumPy's rule).
        const rank = Math.max(ta.rank, tb.rank);
        const lead = (t: tf.Tensor) => [...Array<number>(rank - t.rank).fill(1), ...t.shape];
        const [la, lb] = [lead(ta), lead(tb)];
        const batch = la.slice(0, -2).map((d, i) => Math.max(d, lb[i]!));
        ta = tf.broadcastTo(ta.reshape(la), [...batch, ...la.slice(-2)]);
        tb = tf.broadcastTo(tb.reshape(lb), [...batch, ...lb.slice(-2)]);
        const m = tf.matMul(ta, tb);
        const shape = m.shape.filter(
          (_, i) =>
            !(sa.length === 1 && i === m.shape.length - 2) &&
            !(sb.length === 1 && i === m.shape.length - 1),
        );
        return { data: m.dataSync(), shape };
      });
      expectClose(got, want);
    });

    it("compiles a symbolic batch dim and runs it at a concrete size", async () => {
      const a = rand([3, 2, 4], 3);
      const b = rand([4, 5], 4);
      const got = await run(
        ([x, y]) => matmul(x!, y!),
        [a, b],
        [{ shape: ["N", 2, 4] }, { shape: [4, 5] }],
      );
      const want = tidy(() =>
        result(
          tf.matMul(tf.tensor(a.data, a.shape as number[]), tf.tensor(b.data, b.shape as number[])),
        ),
      );
      expectClose(got, want);
    });

    it("multiplies float64 by the definition", async () => {
      const f = compile(
        on.backend(),
        (xs: Tree<Tensor>) => ({ y: matmul((xs as Tensor[])[0]!, (xs as Tensor[])[1]!) }),
        [
          { shape: [2, 2], dtype: "float64" },
          { shape: [2, 1], dtype: "float64" },
        ] as Tree<TensorSpec>,
      );
      const out = (await f.run([
        hostTensor([1, 2, 3, 4], [2, 2], "float64"),
        hostTensor([1e-9, 1], [2, 1], "float64"),
      ])) as { y: HostTensor };
      expect(out.y.data).toBeInstanceOf(Float64Array);
      expect(Array.from(out.y.data)).toEqual([1 * 1e-9 + 2 * 1, 3 * 1e-9 + 4 * 1]);
    });
  });

  // ---------- convolution ----------

  interface ConvCase {
    readonly name: string;
    readonly x: number[];
    readonly w: number[];
    readonly attrs: ConvAttrs;
  }

  const conv = (
    name: string,
    x: number[],
    w: number[],
    attrs: Partial<ConvAttrs> = {},
  ): ConvCase => ({
    name,
    x,
    w,
    attrs: { stride: [1, 1], pad: [0, 0, 0, 0], dilation: [1, 1], groups: 1, ...attrs },
  });

  const CONV_CASES: readonly ConvCase[] = [
    conv("plain 3x3", [2, 3, 7, 9], [4, 3, 3, 3]),
    conv("non-square kernel, strides, asymmetric padding", [2, 2, 8, 7], [3, 2, 3, 2], {
      stride: [2, 3],
      pad: [1, 2, 0, 1],
    }),
    conv("dilation", [1, 2, 9, 8], [3, 2, 3, 3], { dilation: [2, 3], pad: [2, 2, 1, 3] }),
    conv("dilation with stride", [2, 3, 11, 10], [2, 3, 3, 2], {
      stride: [2, 2],
      dilation: [2, 2],
      pad: [1, 0, 0, 2],
    }),
    conv("2 groups", [2, 4, 6, 7], [6, 2, 3, 2], { groups: 2, stride: [1, 2], pad: [1, 0, 1, 1] }),
    conv("3 groups, dilated and strided", [1, 6, 9, 9], [3, 2, 2, 3], {
      groups: 3,
      stride: [2, 1],
      dilation: [1, 2],
      pad: [0, 1, 2, 0],
    }),
    conv("depthwise with multiplier 2", [2, 3, 6, 5], [6, 1, 3, 3], {
      groups: 3,
      pad: [1, 1, 1, 1],
    }),
    conv("1x3 kernel on a one-row image", [3, 5, 1, 6], [2, 5, 1, 3], { pad: [0, 0, 1, 1] }),
    conv("kernel as large as the padded input", [1, 2, 4, 3], [2, 2, 5, 5], { pad: [1, 0, 1, 1] }),
    conv("stride larger than the kernel", [1, 1, 10, 9], [2, 1, 2, 2], { stride: [4, 3] }),
  ];

  describe("conv2d kernels", () => {
    it.each(CONV_CASES)("forward: $name", async ({ x: sx, w: sw, attrs }) => {
      const x = rand(sx, 11);
      const w = rand(sw, 12);
      const got = await run(
        ([a, b]) => prim("conv2d", [a!, b!], attrs as unknown as Attrs),
        [x, w],
      );
      expectClose(got, tfConv(x, w, undefined, attrs).y);
    });

    it.each(CONV_CASES)("grad input and grad filter: $name", async ({ x: sx, w: sw, attrs }) => {
      const x = rand(sx, 21);
      const w = rand(sw, 22);
      const yShape = tfConv(x, w, undefined, attrs).y.shape;
      const dy = rand(yShape, 23);
      const want = tfConv(x, w, dy, attrs);
      const inputShape = [sx[2]!, sx[3]!];
      const filterShape = [sw[2]!, sw[3]!];
      const dx = await run(
        ([g, ww]) =>
          prim("conv2d_grad_input", [g!, ww!], { ...attrs, inputShape } as unknown as Attrs),
        [dy, w],
      );
      expectClose(dx, want.dx!);
      const dw = await run(
        ([xx, g]) =>
          prim("conv2d_grad_filter", [xx!, g!], { ...attrs, filterShape } as unknown as Attrs),
        [x, dy],
      );
      expectClose(dw, want.dw!);
    });

    it("matches tfjs's native dilations", async () => {
      const x = rand([2, 3, 9, 10], 31);
      const w = rand([4, 3, 3, 2], 32);
      const got = await run(
        ([a, b]) => conv2d(a!, b!, { dilation: [2, 3], padding: [1, 2, 0, 3] }),
        [x, w],
      );
      const want = tidy(() => {
        const wt = tf.transpose(tf.tensor4d(w.data, w.shape as never), [2, 3, 1, 0]) as tf.Tensor4D;
        const y = tf.conv2d(
          toNHWC(x) as tf.Tensor4D,
          wt,
          1,
          [
            [0, 0],
            [1, 2],
            [0, 3],
            [0, 0],
          ],
          "NHWC",
          [2, 3],
        );
        return result(fromNHWC(y));
      });
      expectClose(got, want);
    });

    it("matches tfjs's depthwise convolution when groups equal the channels", async () => {
      const x = rand([2, 3, 7, 6], 41);
      const w = rand([6, 1, 3, 2], 42); // channel c feeds outputs 2c and 2c+1
      const got = await run(
        ([a, b]) => conv2d(a!, b!, { groups: 3, stride: 2, padding: [1, 0, 1, 1] }),
        [x, w],
      );
      const want = tidy(() => {
        // OIHW [C*mult,1,KH,KW] -> [KH,KW,C,mult]
        const wt = tf.transpose(tf.tensor4d(w.data, [3, 2, 3, 2]), [2, 3, 0, 1]) as tf.Tensor4D;
        const y = tf.depthwiseConv2d(toNHWC(x) as tf.Tensor4D, wt, 2, [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ]);
        return result(fromNHWC(y));
      });
      expectClose(got, want);
    });

    it.each([1, 2, 3])("'same' padding matches tfjs at stride %i", async (stride) => {
      const x = rand([1, 2, 7, 8], 51);
      const w = rand([3, 2, 4, 3], 52);
      const got = await run(([a, b]) => conv2d(a!, b!, { padding: "same", stride }), [x, w]);
      const want = tidy(() => {
        const wt = tf.transpose(tf.tensor4d(w.data, w.shape as never), [2, 3, 1, 0]) as tf.Tensor4D;
        return result(fromNHWC(tf.conv2d(toNHWC(x) as tf.Tensor4D, wt, stride, "same")));
      });
      expectClose(got, want);
    });
  });

  // ---------- pooling ----------

  interface PoolCase {
    readonly name: string;
    readonly x: number[];
    readonly kernel: [number, number];
    readonly stride: [number, number];
    readonly pad: [number, number, number, number];
  }

  const POOL_CASES: readonly PoolCase[] = [
    { name: "2x2/2", x: [2, 3, 6, 8], kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0] },
    {
      name: "overlapping 3x3/2 pad 1",
      x: [2, 2, 7, 9],
      kernel: [3, 3],
      stride: [2, 2],
      pad: [1, 1, 1, 1],
    },
    { name: "3x3/1 pad 1", x: [1, 2, 5, 4], kernel: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1] },
    {
      name: "non-square, asymmetric padding",
      x: [1, 3, 5, 6],
      kernel: [3, 2],
      stride: [1, 2],
      pad: [2, 0, 1, 1],
    },
    {
      name: "window wider than stride, odd size",
      x: [2, 1, 9, 7],
      kernel: [4, 3],
      stride: [3, 2],
      pad: [0, 2, 1, 0],
    },
  ];

  const tfPad = (
    p: PoolCase,
  ): [[number, number], [number, number], [number, number], [number, number]] => [
    [0, 0],
    [p.pad[0], p.pad[1]],
    [p.pad[2], p.pad[3]],
    [0, 0],
  ];

  /**
   * tfjs average pooling in both conventions: tf.avgPool with explicit padding excludes the
   * padding (its forward); including it is zero-padding followed by a "valid" tf.avgPool. The
   * exclusive form is also written as a window sum over a window count, because tfjs's own
   * avgPool gradient divides by the full window even where its forward did not.
   */
  const tfAvg = (x: tf.Tensor4D, p: PoolCase, include: boolean): tf.Tensor4D => {
    const padded = tf.pad(x, tfPad(p));
    const sumLike = tf.avgPool(padded, p.kernel, p.stride, "valid");
    if (include) return sumLike;
    const count = tf.avgPool(tf.pad(tf.onesLike(x), tfPad(p)), p.kernel, p.stride, "valid");
    return tf.div(sumLike, count);
  };

  const poolAttrs = (p: PoolCase) => ({ kernel: p.kernel, stride: p.stride, pad: p.pad });

  describe("pooling kernels", () => {
    it.each(POOL_CASES)("max pool forward and gradient: $name", async (p) => {
      const x = rand(p.x, 61);
      const y = await run(([a]) => prim("max_pool2d", [a!], poolAttrs(p)), [x]);
      const want = tidy(() =>
        result(fromNHWC(tf.maxPool(toNHWC(x) as tf.Tensor4D, p.kernel, p.stride, tfPad(p)))),
      );
      expectClose(y, want);
      const dy = rand(want.shape, 62);
      const dx = await run(([a, g]) => prim("max_pool2d_grad", [a!, g!], poolAttrs(p)), [x, dy]);
      const wantDx = tidy(() => {
        const g = tf.grad((xx: tf.Tensor) =>
          tf.maxPool(xx as tf.Tensor4D, p.kernel, p.stride, tfPad(p)),
        );
        return result(fromNHWC(g(toNHWC(x), toNHWC(dy))));
      });
      expectClose(dx, wantDx);
    });

    it.each(POOL_CASES.flatMap((p) => [true, false].map((include) => ({ ...p, include }))))(
      "avg pool forward and gradient: $name, countIncludePad=$include",
      async ({ include, ...p }) => {
        const x = rand(p.x, 71);
        const attrs = { ...poolAttrs(p), countIncludePad: include };
        const y = await run(([a]) => prim("avg_pool2d", [a!], attrs), [x]);
        const want = tidy(() => result(fromNHWC(tfAvg(toNHWC(x) as tf.Tensor4D, p, include))));
        expectClose(y, want);
        if (!include) {
          const native = tidy(() =>
            result(fromNHWC(tf.avgPool(toNHWC(x) as tf.Tensor4D, p.kernel, p.stride, tfPad(p)))),
          );
          expectClose(y, native);
        }
        const dy = rand(want.shape, 72);
        const inputShape = [p.x[2]!, p.x[3]!];
        const dx = await run(
          ([g]) => prim("avg_pool2d_grad", [g!], { ...attrs, inputShape }),
          [dy],
        );
        const wantDx = tidy(() => {
          const g = tf.grad((xx: tf.Tensor) => tfAvg(xx as tf.Tensor4D, p, include));
          return result(fromNHWC(g(toNHWC(x), toNHWC(dy))));
        });
        expectClose(dx, wantDx);
      },
    );

    it("public functions default the stride to the kernel", async () => {
      const x = rand([1, 2, 6, 6], 81);
      const got = await run(([a]) => maxPool2d(a!, { kernel: 3 }), [x]);
      const want = tidy(() =>
        result(fromNHWC(tf.maxPool(toNHWC(x) as tf.Tensor4D, 3, 3, "valid"))),
      );
      expectClose(got, want);
      const gotAvg = await run(
        ([a]) => avgPool2d(a!, { kernel: 2, padding: 1, countIncludePad: false }),
        [x],
      );
      const wantAvg = tidy(() => result(fromNHWC(tf.avgPool(toNHWC(x) as tf.Tensor4D, 2, 2, 1))));
      expectClose(gotAvg, wantAvg);
    });

    it("hand-computed padded averages in both conventions", async () => {
      // [[1,2],[3,4]] with a 2x2 window, stride 1, one pixel of padding on every side.
      const x = { data: new Float32Array([1, 2, 3, 4]), shape: [1, 1, 2, 2] };
      const attrs = { kernel: [2, 2], stride: [1, 1], pad: [1, 1, 1, 1] };
      const incl = await run(
        ([a]) => prim("avg_pool2d", [a!], { ...attrs, countIncludePad: true }),
        [x],
      );
      expect(Array.from(incl.data)).toEqual([0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]);
      const excl = await run(
        ([a]) => prim("avg_pool2d", [a!], { ...attrs, countIncludePad: false }),
        [x],
      );
      expect(Array.from(excl.data)).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
    });

    it("routes a tied window's gradient to its first maximal element", async () => {
      // All-equal input, 2x2 windows at stride 1: window (i, j) routes to its top-left (i, j).
      const x = { data: new Float32Array(16).fill(5), shape: [1, 1, 4, 4] };
      const dy = { data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), shape: [1, 1, 3, 3] };
      const attrs = { kernel: [2, 2], stride: [1, 1], pad: [0, 0, 0, 0] };
      const dx = await run(([a, g]) => prim("max_pool2d_grad", [a!, g!], attrs), [x, dy]);
      expect(Array.from(dx.data)).toEqual([1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0]);
    });

    it("max pooling propagates NaN and ignores padding below the minimum", async () => {
      const x = { data: new Float32Array([-5, NaN, -7, -6]), shape: [1, 1, 2, 2] };
      const y = await run(([a]) => maxPool2d(a!, { kernel: 2, stride: 1, padding: 1 }), [x]);
      expect(Array.from(y.data)).toEqual([-5, NaN, NaN, -5, NaN, NaN, -7, -6, -6]);
    });
  });
});
