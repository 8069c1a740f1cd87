import { afterAll, describe, expect, it } from "vitest";
import type { HostTensor, LibraryKernel } from "@loom/graph";
import type { Conv2dOptions, PoolOptions, Tensor, TensorSpec, Tree } from "@loom/ops";
import {
  add,
  avgPool2d,
  conv2d,
  floor,
  matmul,
  maxPool2d,
  mul,
  planGraph,
  relu,
  reshape,
  sum,
  tanh,
  trace,
  transpose,
  valueAndGrad,
} from "@loom/ops";
import type { Feeds, Tolerance } from "@loom/testing";
import { compareWithCpu, randomFloat32 } from "@loom/testing";
import { webglBackend } from "../webgl-backend";

// Every library kernel (matmul, convolution and its two gradients, max/avg pooling and their
// gradients) on WebGL against the CPU backend, through `compile`, in the variants fusion
// produces: transposed operands read in place, reshaped inputs, fused epilogues. Each case
// also asserts that the plan WebGL runs really holds the kernel variant under test.
// Accumulations run in float32 on the GPU and in float64 on the CPU, so sums agree to 1e-5
// of the largest output; maximum pooling (a selection) is exact.

const gl = webglBackend();
// The register-tiled GEMM kernels of matmul and the convolutions, forced on the small shapes.
const tiled = webglBackend({ tiling: "always" });
afterAll(() => {
  gl.dispose();
  tiled.dispose();
});

const SUMS: Tolerance = { rtol: 1e-5 };

type Fn = (t: Record<string, Tensor>) => Record<string, Tensor>;

/** The library kernels of the plan `compile` builds for WebGL (no in-place writes). */
const libraryKernels = (fn: Fn, specs: Record<string, TensorSpec>): LibraryKernel[] =>
  planGraph(
    trace(fn as never, specs as Tree<TensorSpec>).graph,
    {},
    { inPlace: false },
  ).kernels.filter((k): k is LibraryKernel => k.kind === "library");

const randomFeeds = (specs: Record<string, TensorSpec>, seed: number): Feeds =>
  Object.fromEntries(
    Object.entries(specs).map(([k, s], i) => [k, randomFloat32(s.shape as number[], seed + i)]),
  );

const check = async (
  fn: Fn,
  specs: Record<string, TensorSpec>,
  feeds: Feeds = randomFeeds(specs, 1),
  tol: Tolerance = SUMS,
  backend = gl,
) => compareWithCpu(backend, fn as never, specs as Tree<TensorSpec>, feeds, tol);

const spec = (...shape: number[]): TensorSpec => ({ shape });

describe("matmul", () => {
  it.each([
    ["[1,1] x [1,1]", [1, 1], [1, 1]],
    ["[3,5] x [5,4]", [3, 5], [5, 4]],
    ["[33,70] x [70,129] (output spans texture rows)", [33, 70], [70, 129]],
    ["batched [2,3,4,5] x [2,3,5,6]", [2, 3, 4, 5], [2, 3, 5, 6]],
  ] as const)("%s", async (_, sa, sb) => {
    const fn: Fn = ({ a, b }) => ({ y: matmul(a!, b!) });
    const specs = { a: spec(...sa), b: spec(...sb) };
    expect(libraryKernels(fn, specs).map((k) => k.call.kind)).toEqual(["matmul"]);
    expect(await check(fn, specs)).toBeUndefined();
  });

  it.each([
    [true, false],
    [false, true],
    [true, true],
  ])("transA=%s transB=%s read transposed operands in place", async (ta, tb) => {
    const fn: Fn = ({ a, b }) => ({
      y: matmul(ta ? transpose(a!, [0, 2, 1]) : a!, tb ? transpose(b!, [0, 2, 1]) : b!),
    });
    const specs = { a: spec(2, ...(ta ? [7, 3] : [3, 7])), b: spec(2, ...(tb ? [5, 7] : [7, 5])) };
    const [k] = libraryKernels(fn, specs);
    expect(k!.call).toEqual({ kind: "matmul", transA: ta, transB: tb });
    expect(await check(fn, specs)).toBeUndefined();
  });

  it("a dense layer is one kernel with its bias and activation as epilogue", async () => {
    const fn: Fn = ({ x, w, b }) => ({ y: relu(add(matmul(x!, transpose(w!)), b!)) });
    const specs = { x: spec(8, 20), w: spec(12, 20), b: spec(12) };
    const ks = libraryKernels(fn, specs);
    expect(ks).toHaveLength(1);
    expect(ks[0]!.epilogue?.inputs).toHaveLength(1);
    expect(await check(fn, specs)).toBeUndefined();
  });

  it("reads a reshaped input in place (inputShapes)", async () => {
    const fn: Fn = ({ x, w }) => ({ y: tanh(matmul(reshape(x!, [4, 24]), w!)) });
    const specs = { x: spec(4, 2, 3, 4), w: spec(24, 5) };
    expect(libraryKernels(fn, specs)[0]!.inputShapes).toEqual([
      [4, 24],
      [24, 5],
    ]);
    expect(await check(fn, specs)).toBeUndefined();
  });

  it("gradients: both operands' products with a transposed view", async () => {
    const fn: Fn = ({ a, b, r }) =>
      valueAndGrad((p: { a: Tensor; b: Tensor }) => sum(mul(matmul(p.a, p.b), r!)))({
        a: a!,
        b: b!,
      }).grad as unknown as Record<string, Tensor>;
    const specs = { a: spec(6, 9), b: spec(9, 4), r: spec(6, 4) };
    const ks = libraryKernels(fn, specs);
    expect(ks.some((k) => k.call.kind === "matmul" && k.call.transA)).toBe(true);
    expect(ks.some((k) => k.call.kind === "matmul" && k.call.transB)).toBe(true);
    expect(await check(fn, specs)).toBeUndefined();
  });
});

const CONVS: readonly (readonly [string, number[], number[], Conv2dOptions])[] = [
  ["3x3, no padding", [2, 3, 7, 7], [4, 3, 3, 3], {}],
  ["stride 2, padding 1", [2, 3, 8, 9], [5, 3, 3, 3], { stride: 2, padding: 1 }],
  [
    "dilation 2, asymmetric padding",
    [1, 2, 9, 8],
    [3, 2, 3, 2],
    { dilation: 2, padding: [1, 2, 0, 1] },
  ],
  ["groups 2", [1, 4, 6, 6], [6, 2, 3, 3], { groups: 2 }],
  ["depthwise, stride [2,1]", [2, 3, 5, 5], [3, 1, 3, 3], { groups: 3, stride: [2, 1] }],
  ["1x1, stride 3", [2, 4, 7, 7], [2, 4, 1, 1], { stride: 3 }],
  [
    "same padding, stride 2, 4x2 kernel",
    [1, 2, 7, 6],
    [3, 2, 4, 2],
    { stride: 2, padding: "same" },
  ],
];

describe.each(CONVS)("conv2d %s", (_, xs, ws, opts) => {
  it("forward, with a bias+relu epilogue", async () => {
    const plain: Fn = ({ x, w }) => ({ y: conv2d(x!, w!, opts) });
    const fused: Fn = ({ x, w, b }) => ({
      z: relu(add(conv2d(x!, w!, opts), reshape(b!, [ws[0]!, 1, 1]))),
    });
    const specs = { x: spec(...xs), w: spec(...ws), b: spec(ws[0]!) };
    const ks = libraryKernels(fused, specs);
    expect(ks.map((k) => [k.call.kind, k.epilogue !== undefined])).toEqual([["conv2d", true]]);
    for (const backend of [gl, tiled]) {
      expect(await check(plain, specs, undefined, SUMS, backend)).toBeUndefined();
      expect(await check(fused, specs, undefined, SUMS, backend)).toBeUndefined();
    }
  });

  it("conv2d_grad_input and conv2d_grad_filter", async () => {
    const fn: Fn = ({ x, w, r }) =>
      valueAndGrad((p: { x: Tensor; w: Tensor }) => sum(mul(conv2d(p.x, p.w, opts), r!)))({
        x: x!,
        w: w!,
      }).grad as unknown as Record<string, Tensor>;
    const out = libraryKernels(({ x, w }) => ({ y: conv2d(x!, w!, opts) }), {
      x: spec(...xs),
      w: spec(...ws),
    })[0]!.shape;
    const specs = { x: spec(...xs), w: spec(...ws), r: spec(...out) };
    expect(
      libraryKernels(fn, specs)
        .map((k) => k.call.kind)
        .sort(),
    ).toEqual(["conv2d_grad_filter", "conv2d_grad_input"]);
    for (const backend of [gl, tiled])
      expect(await check(fn, specs, undefined, SUMS, backend)).toBeUndefined();
  });
});

/** x values on a coarse grid, so pooling windows hold ties. */
const tied = (shape: number[], seed: number): HostTensor => {
  const t = randomFloat32(shape, seed);
  const data = Float32Array.from(t.data, (v) => Math.floor(v * 2) / 2);
  return { ...t, data };
};

const POOLS: readonly (readonly [string, number[], PoolOptions])[] = [
  ["2x2", [2, 3, 8, 8], { kernel: 2 }],
  ["3x3 stride 2 padding 1 (overlapping)", [1, 2, 9, 7], { kernel: 3, stride: 2, padding: 1 }],
  ["3x2 stride 1 (overlapping)", [2, 1, 6, 5], { kernel: [3, 2], stride: 1 }],
  ["same padding stride 2", [1, 2, 7, 7], { kernel: 3, stride: 2, padding: "same" }],
  ["3x3 stride 2 ceil mode", [2, 3, 8, 10], { kernel: 3, stride: 2, ceilMode: true }],
  [
    "2x3 stride 3 padding 1 (gaps between windows)",
    [2, 2, 9, 11],
    { kernel: [2, 3], stride: 3, padding: 1 },
  ],
];

describe.each(POOLS)("pooling %s", (_, xs, opts) => {
  const out = (p: (x: Tensor) => Tensor) =>
    libraryKernels(({ x }) => ({ y: p(x!) }), { x: spec(...xs) })[0]!.shape;

  it("max pooling and its gradient with ties (first maximum wins), one-pass and tiled", async () => {
    const fn: Fn = ({ x, r }) => ({
      y: maxPool2d(x!, opts),
      dx: valueAndGrad((v: Tensor) => sum(mul(maxPool2d(v, opts), r!)))(x!).grad,
    });
    const specs = { x: spec(...xs), r: spec(...out((x) => maxPool2d(x, opts))) };
    expect(libraryKernels(fn, specs).map((k) => k.call.kind)).toContain("max_pool2d_grad");
    const feeds = { x: tied(xs, 3), r: randomFloat32(specs.r.shape as number[], 4) };
    for (const backend of [gl, tiled])
      expect(await check(fn, specs, feeds, { rtol: 1e-6 }, backend)).toBeUndefined();
  });

  it("max pooling lets NaN win its windows", async () => {
    const x = tied(xs, 5);
    (x.data as Float32Array)[3] = NaN;
    const fn: Fn = ({ x: v }) => ({ y: maxPool2d(v!, opts) });
    expect(await check(fn, { x: spec(...xs) }, { x }, { rtol: 0 })).toBeUndefined();
  });

  it.each([true, false])("avg pooling (countIncludePad %s) and its gradient", async (include) => {
    const o = { ...opts, countIncludePad: include };
    const fn: Fn = ({ x, r }) => ({
      y: avgPool2d(x!, o),
      dx: valueAndGrad((v: Tensor) => sum(mul(avgPool2d(v, o), r!)))(x!).grad,
    });
    const specs = { x: spec(...xs), r: spec(...out((x) => avgPool2d(x, o))) };
    expect(libraryKernels(fn, specs).map((k) => k.call.kind)).toContain("avg_pool2d_grad");
    expect(await check(fn, specs, undefined, { rtol: 1e-6 })).toBeUndefined();
  });
});

it("pooling kernels take epilogues too", async () => {
  const fn: Fn = ({ x }) => ({
    m: floor(mul(maxPool2d(x!, { kernel: 2 }), 3)),
    a: tanh(avgPool2d(x!, { kernel: 2 })),
  });
  const specs = { x: spec(2, 2, 6, 6) };
  expect(libraryKernels(fn, specs).every((k) => k.epilogue !== undefined)).toBe(true);
  expect(await check(fn, specs, undefined, { rtol: 1e-6 })).toBeUndefined();
});
