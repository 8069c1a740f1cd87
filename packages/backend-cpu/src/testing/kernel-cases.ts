import fc from "fast-check";
import { expect } from "vitest";
import type {
  Conv2dCall,
  Conv2dGradFilterCall,
  Conv2dGradInputCall,
  LibraryCall,
  MatmulCall,
} from "@loom/graph";
import { rng } from "@loom/testing";
import type { LibraryKernelImpl } from "../kernels/kernel";
import type { BackoffPolicy } from "../kernels/parallel";

// Cases of the fast library kernels' tests (kernels/*.test.ts): random operands, matmul and
// convolution cases with their reference inputs, and a runner that lays inputs and output out
// as views into one arena, as the memory planner does.

/** The float dtypes the fast kernels are checked in. */
export type Dtype = "float32" | "float64";
/** An array of a `Dtype`. */
export type FloatArray = Float32Array | Float64Array;

const SENTINEL = 12345.5;

/** Elements of a shape. */
export const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** Deterministic values in [-1, 1) (mulberry32); `levels` > 0 quantises them to force ties. */
export const randomValues = (n: number, seed: number, levels = 0): number[] => {
  const r = rng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = r();
    out.push(levels > 0 ? Math.floor(u * levels) / levels : u * 2 - 1);
  }
  return out;
};

/** A zeroed array of the dtype, in shared memory if `shared`. */
export const alloc = (dtype: Dtype, n: number, shared = false): FloatArray =>
  dtype === "float32"
    ? new Float32Array(shared ? new SharedArrayBuffer(4 * n) : new ArrayBuffer(4 * n))
    : new Float64Array(shared ? new SharedArrayBuffer(8 * n) : new ArrayBuffer(8 * n));

/** One op call: input values and shapes, the output shape, the typed call. */
export interface Case<C extends LibraryCall = LibraryCall> {
  readonly dtype: Dtype;
  readonly inputs: readonly number[][];
  readonly inShapes: readonly number[][];
  readonly outShape: readonly number[];
  readonly call: C;
  /** The inputs and call to give the reference kernel, when they differ (transposes). */
  readonly refInputs?: readonly number[][];
  readonly refInShapes?: readonly number[][];
  readonly refCall?: C;
}

/**
 * Runs `kernel` with its inputs and output as views into one arena (a SharedArrayBuffer if
 * `shared`), each after a gap of `gap` sentinel elements; checks that nothing outside the
 * output was written.
 */
export const runInArena = <C extends LibraryCall>(
  kernel: LibraryKernelImpl<C>,
  c: Case<C>,
  gap: number,
  shared = false,
): FloatArray => {
  const outN = size(c.outShape);
  const total = c.inputs.reduce((p, x) => p + x.length + gap, 0) + outN + 2 * gap;
  const arena = alloc(c.dtype, total, shared).fill(SENTINEL);
  let at = gap;
  const views = c.inputs.map((x) => {
    const v = arena.subarray(at, at + x.length);
    v.set(x);
    at += x.length + gap;
    return v;
  });
  const out = arena.subarray(at, at + outN);
  out.fill(Number.NaN);
  const before = Array.from(arena);
  kernel({ inputs: views, inShapes: c.inShapes, out, outShape: c.outShape, call: c.call });
  for (let i = 0; i < total; i++) {
    if (i >= at && i < at + outN) continue;
    if (!Object.is(arena[i], before[i]))
      throw new Error(`${c.call.kind} wrote outside its output at ${i}`);
  }
  return out;
};

/** Swaps the last two axes of a row-major tensor. */
export const swapLast = (x: readonly number[], shape: readonly number[]): number[] => {
  const [r, c] = [shape[shape.length - 2]!, shape[shape.length - 1]!];
  const out = new Array<number>(x.length);
  for (let b = 0; b < x.length / (r * c); b++) {
    for (let i = 0; i < r; i++)
      for (let j = 0; j < c; j++) out[b * r * c + j * r + i] = x[b * r * c + i * c + j]!;
  }
  return out;
};

/** A matmul case with random operands; the reference gets explicitly transposed copies. */
export const matmulCase = (
  batch: number[],
  [m, k, n]: [number, number, number],
  transA: boolean,
  transB: boolean,
  dtype: Dtype,
  seed: number,
): Case<MatmulCall> => {
  const aShape = [...batch, ...(transA ? [k, m] : [m, k])];
  const bShape = [...batch, ...(transB ? [n, k] : [k, n])];
  const a = randomValues(size(aShape), seed);
  const b = randomValues(size(bShape), seed + 1);
  return {
    dtype,
    inputs: [a, b],
    inShapes: [aShape, bShape],
    outShape: [...batch, m, n],
    call: { kind: "matmul", transA, transB },
    // The reference multiplies explicitly transposed copies: an independent check of the strides.
    refCall: { kind: "matmul", transA: false, transB: false },
    refInputs: [transA ? swapLast(a, aShape) : a, transB ? swapLast(b, bShape) : b],
    refInShapes: [
      [...batch, m, k],
      [...batch, k, n],
    ],
  };
};

/** A matrix dimension: tile edges, then anything up to 24. */
export const dim = fc.oneof(fc.constantFrom(1, 3, 4, 5, 8, 17), fc.integer({ min: 1, max: 24 }));
/** Either float dtype. */
export const dtypeArb = fc.constantFrom<Dtype>("float32", "float64");

/** A convolution geometry; the three conv ops are checked on each. */
export interface ConvGeom {
  readonly n: number;
  readonly groups: number;
  readonly cg: number;
  readonly og: number;
  readonly hw: [number, number];
  readonly k: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly pad: [number, number, number, number];
}

/** The output length of a window along one axis (convolution or pooling). */
export const outSize = (size: number, k: number, s: number, lo: number, hi: number, d: number) =>
  Math.floor((size + lo + hi - d * (k - 1) - 1) / s) + 1;

/** conv2d, conv2d_grad_input and conv2d_grad_filter cases of one geometry. */
export const convCases = (
  g: ConvGeom,
  dtype: Dtype,
  seed: number,
): [Case<Conv2dCall>, Case<Conv2dGradInputCall>, Case<Conv2dGradFilterCall>] => {
  const [H, W] = g.hw;
  const [KH, KW] = g.k;
  const C = g.groups * g.cg;
  const O = g.groups * g.og;
  const Ho = outSize(H, KH, g.stride[0], g.pad[0], g.pad[1], g.dilation[0]);
  const Wo = outSize(W, KW, g.stride[1], g.pad[2], g.pad[3], g.dilation[1]);
  const base = { stride: g.stride, pad: g.pad, dilation: g.dilation, groups: g.groups };
  const xShape = [g.n, C, H, W];
  const wShape = [O, g.cg, KH, KW];
  const yShape = [g.n, O, Ho, Wo];
  const x = randomValues(size(xShape), seed);
  const w = randomValues(size(wShape), seed + 1);
  const dy = randomValues(size(yShape), seed + 2);
  return [
    {
      dtype,
      inputs: [x, w],
      inShapes: [xShape, wShape],
      outShape: yShape,
      call: { kind: "conv2d", ...base },
    },
    {
      dtype,
      inputs: [dy, w],
      inShapes: [yShape, wShape],
      outShape: xShape,
      call: { kind: "conv2d_grad_input", ...base, inputShape: [H, W] },
    },
    {
      dtype,
      inputs: [x, dy],
      inShapes: [xShape, yShape],
      outShape: wShape,
      call: { kind: "conv2d_grad_filter", ...base, filterShape: [KH, KW] },
    },
  ];
};

/** An integer from 1 to `max`. */
export const small = (max: number): fc.Arbitrary<number> => fc.integer({ min: 1, max });
/** Random convolution geometries with at least one output window. */
export const convGeomArb: fc.Arbitrary<ConvGeom> = fc
  .record({
    n: small(3),
    groups: small(3),
    cg: fc.constantFrom(1, 2, 3, 5),
    og: fc.constantFrom(1, 3, 4, 5, 6),
    hw: fc.tuple(small(10), small(10)),
    k: fc.tuple(small(4), small(4)),
    stride: fc.tuple(small(3), small(3)),
    dilation: fc.tuple(small(2), small(2)),
    pad: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
  })
  .filter(
    (g) =>
      outSize(g.hw[0], g.k[0], g.stride[0], g.pad[0], g.pad[1], g.dilation[0]) >= 1 &&
      outSize(g.hw[1], g.k[1], g.stride[1], g.pad[2], g.pad[3], g.dilation[1]) >= 1,
  );

/** A small convolution geometry with the given fields overridden. */
export const geom = (over: Partial<ConvGeom>): ConvGeom => ({
  n: 2,
  groups: 1,
  cg: 3,
  og: 5,
  hw: [7, 6],
  k: [3, 3],
  stride: [1, 1],
  dilation: [1, 1],
  pad: [0, 0, 0, 0],
  ...over,
});

/** Asserts identical bits (NaNs included), naming the first differing element. */
export const expectSameBits = (got: FloatArray, want: FloatArray, what: string): void => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i]))
      throw new Error(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
};

/** A back-off policy that never leaves the workers out, so a busy machine cannot keep them from being tested. */
export const NEVER_BACK_OFF: BackoffPolicy = { skipping: () => false, note: () => undefined };
