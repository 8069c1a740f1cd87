import fc from "fast-check";
import type { LibraryCall, LibraryKind } from "@loom/graph";
import { afterAll, describe, expect, it } from "vitest";
import type { LibraryKernelImpl, LibraryKernels } from "./kernel";
import { kernelFor } from "./kernel";
import type { ConvPath } from "./conv2d";
import {
  defaultThreads,
  makeConv2dGradFilterKernel,
  makeConv2dGradInputKernel,
  makeConv2dKernel,
  makeFastKernels,
} from "./index";
import type { ThreadOptions } from "./parallel";
import { kernelPool } from "./parallel";
import { REFERENCE_KERNELS } from "./reference";
import type { Case, Dtype, FloatArray } from "../testing/kernel-cases";
import {
  alloc,
  convCases,
  convGeomArb,
  dim,
  dtypeArb,
  geom,
  matmulCase,
  outSize,
  randomValues,
  runInArena,
  size,
  small,
} from "../testing/kernel-cases";

// Every fast kernel against the naive reference kernel of the same op, on random shapes and
// attributes, in float32 and float64, with inputs and output as views at non-zero offsets of
// one shared arena (as the memory planner lays them out).

/** The workers of this file's kernels, which it owns and closes. */
const workers = kernelPool();
afterAll(() => workers.close());
/** Thread options of the kernels below: one thread per core, as a default `cpuBackend` uses. */
const THREADING: ThreadOptions = { threads: defaultThreads(), pool: workers };
/** The fast kernels as a default `cpuBackend` holds them (WebAssembly SIMD where available). */
const FAST = makeFastKernels(THREADING);
/** The JS kernels, as `cpuBackend({ wasm: false })` and runtimes without WebAssembly SIMD hold them. */
const FAST_JS = makeFastKernels({ ...THREADING, wasm: false });
/** Both kernel sets, by name. */
const SETS = { wasm: FAST, js: FAST_JS };
const setArb = fc.constantFrom<keyof typeof SETS>("wasm", "js");

/** The reference kernel's result, on freshly allocated arrays of the case's dtype. */
const runReference = (c: Case): FloatArray => {
  const ins = (c.refInputs ?? c.inputs).map((x) => alloc(c.dtype, x.length).map((_, i) => x[i]));
  const out = alloc(c.dtype, size(c.outShape));
  kernelFor(
    REFERENCE_KERNELS,
    c.call.kind,
  )({
    inputs: ins,
    inShapes: c.refInShapes ?? c.inShapes,
    out,
    outShape: c.outShape,
    call: c.refCall ?? c.call,
  });
  return out;
};

/** Asserts closeness relative to the magnitude (absolute near zero): 1e-4 in f32, 1e-10 in f64. */
const expectClose = (actual: FloatArray, expected: FloatArray, dtype: Dtype, what: string) => {
  const tol = dtype === "float32" ? 1e-4 : 1e-10;
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (a === e || (Number.isNaN(e) && Number.isNaN(a))) continue;
    const err = Math.abs(a - e) / (1 + Math.abs(e));
    if (!(err <= tol)) throw new Error(`${what}: element ${i} is ${a}, expected ${e}`);
  }
};

/** Checks one case: fast vs reference, in an arena with the given gap. */
const check = <C extends LibraryCall>(
  c: Case<C>,
  kernel: LibraryKernelImpl<C> = kernelFor(FAST, c.call.kind),
  gap = 3,
) => {
  const what = `${c.call.kind} ${c.dtype} ${JSON.stringify(c.inShapes)} ${JSON.stringify(c.call)}`;
  expectClose(runInArena(kernel, c, gap), runReference(c), c.dtype, what);
};

describe("fast matmul", () => {
  it("matches the reference for every transposition, batch and tile-edge size", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        fc.tuple(dim, dim, dim),
        fc.boolean(),
        fc.boolean(),
        dtypeArb,
        fc.nat(1000),
        setArb,
        (batch, mkn, ta, tb, dtype, seed, set) =>
          check(matmulCase(batch, mkn, ta, tb, dtype, seed), SETS[set].matmul),
      ),
      { numRuns: 200 },
    );
  });

  it.each(["wasm", "js"] as const)(
    "%s crosses every blocking boundary (m > 128, k > 256, n > 1024)",
    (set) => {
      check(matmulCase([], [131, 259, 6], false, false, "float32", 7), SETS[set].matmul);
      check(matmulCase([], [6, 20, 1029], true, true, "float32", 8), SETS[set].matmul);
      check(matmulCase([2], [5, 300, 9], true, false, "float64", 9), SETS[set].matmul);
    },
  );

  it.each(["wasm", "js"] as const)("%s treats k = 0 as an empty sum", (set) => {
    check(matmulCase([2], [3, 0, 5], false, true, "float32", 9), SETS[set].matmul);
  });
});

/** The three JS convolution kernels with each formulation forced, and by the shape rule. */
const convKernels = (path: ConvPath): LibraryKernels => ({
  ...FAST_JS,
  conv2d: makeConv2dKernel(path, THREADING),
  conv2d_grad_input: makeConv2dGradInputKernel(path, THREADING),
  conv2d_grad_filter: makeConv2dGradFilterKernel(path, THREADING),
});
/** The JS formulations, and the WebAssembly kernels (im2col + wasm GEMM for float32). */
const CONV_PATHS: Record<ConvPath | "wasm", LibraryKernels> = {
  auto: convKernels("auto"),
  direct: convKernels("direct"),
  gemm: convKernels("gemm"),
  wasm: FAST,
};
const pathArb = fc.constantFrom<ConvPath | "wasm">("auto", "direct", "gemm", "wasm");

describe("fast convolutions", () => {
  it("match the reference on random geometries (groups, dilation, strides, asymmetric pads)", () => {
    fc.assert(
      fc.property(convGeomArb, dtypeArb, pathArb, fc.nat(1000), (g, dtype, path, seed) => {
        for (const c of convCases(g, dtype, seed))
          check<LibraryCall>(c, kernelFor<LibraryKind>(CONV_PATHS[path], c.call.kind));
      }),
      { numRuns: 200 },
    );
  });

  it("match the reference on 1x1, depthwise, LeNet-5 and wide shapes, by every path", () => {
    const shapes = [
      geom({ k: [1, 1] }),
      geom({ k: [1, 1], groups: 2, hw: [5, 5] }),
      geom({ k: [1, 1], stride: [2, 1], pad: [0, 1, 1, 0] }),
      geom({ groups: 4, cg: 1, og: 1, pad: [1, 1, 1, 1] }),
      geom({ groups: 3, cg: 1, og: 2, stride: [2, 2], pad: [1, 1, 1, 1] }),
      geom({ n: 2, cg: 1, og: 6, hw: [28, 28], k: [5, 5], pad: [2, 2, 2, 2] }),
      geom({ n: 2, cg: 6, og: 16, hw: [14, 14], k: [5, 5] }),
      geom({ n: 1, cg: 2, og: 3, hw: [4, 4], k: [3, 3], pad: [3, 0, 0, 3] }),
      // Past the direct-kernel thresholds, so "auto" takes the GEMM paths.
      geom({ n: 2, groups: 2, cg: 2, og: 37, hw: [5, 6], pad: [1, 0, 2, 1] }),
      geom({ n: 1, cg: 40, og: 100, hw: [5, 5], stride: [2, 1], pad: [1, 1, 1, 1] }),
    ];
    for (const g of shapes) {
      for (const dtype of ["float32", "float64"] as const) {
        for (const path of ["auto", "direct", "gemm", "wasm"] as const) {
          for (const c of convCases(g, dtype, 11))
            check<LibraryCall>(c, kernelFor<LibraryKind>(CONV_PATHS[path], c.call.kind));
        }
      }
    }
  });

  it("wasm: match the reference past one GEMM block (taps > kc, windows > nc, many chunks)", () => {
    // R = 30*3*3 = 270 taps (two k blocks), N*Ho*Wo = 1,250 windows (two n blocks, five
    // input-gradient chunks), rows of 25 windows so panels straddle rows; then stride 2 with
    // dilation and groups whose Og is no multiple of the tile's 4 rows.
    const shapes = [
      geom({ n: 2, cg: 30, og: 6, hw: [25, 25], pad: [1, 1, 1, 1] }),
      geom({ n: 3, groups: 2, cg: 5, og: 7, hw: [21, 19], stride: [2, 2], dilation: [2, 1] }),
    ];
    for (const g of shapes)
      for (const c of convCases(g, "float32", 5))
        check<LibraryCall>(c, kernelFor<LibraryKind>(FAST, c.call.kind));
  });
});

/** A pooling geometry; the four pooling ops are checked on each. */
interface PoolGeom {
  readonly n: number;
  readonly c: number;
  readonly hw: [number, number];
  readonly k: [number, number];
  readonly stride: [number, number];
  readonly pad: [number, number, number, number];
  readonly countIncludePad: boolean;
  /** Quantisation levels of x (0: continuous); few levels force ties in max pooling. */
  readonly levels: number;
}

const poolCases = (
  g: PoolGeom,
  dtype: Dtype,
  seed: number,
  specials: [number, number][] = [],
): Case[] => {
  const [H, W] = g.hw;
  const Ho = outSize(H, g.k[0], g.stride[0], g.pad[0], g.pad[1], 1);
  const Wo = outSize(W, g.k[1], g.stride[1], g.pad[2], g.pad[3], 1);
  const xShape = [g.n, g.c, H, W];
  const yShape = [g.n, g.c, Ho, Wo];
  const x = randomValues(size(xShape), seed, g.levels);
  for (const [i, v] of specials) x[i % x.length] = v;
  const dy = randomValues(size(yShape), seed + 1);
  const win = { kernel: g.k, stride: g.stride, pad: g.pad };
  const avg = { ...win, countIncludePad: g.countIncludePad };
  return [
    {
      dtype,
      inputs: [x],
      inShapes: [xShape],
      outShape: yShape,
      call: { kind: "max_pool2d", ...win },
    },
    {
      dtype,
      inputs: [x, dy],
      inShapes: [xShape, yShape],
      outShape: xShape,
      call: { kind: "max_pool2d_grad", ...win },
    },
    {
      dtype,
      inputs: [x],
      inShapes: [xShape],
      outShape: yShape,
      call: { kind: "avg_pool2d", ...avg },
    },
    {
      dtype,
      inputs: [dy],
      inShapes: [yShape],
      outShape: xShape,
      call: { kind: "avg_pool2d_grad", ...avg, inputShape: [H, W] },
    },
  ];
};

const poolGeomArb: fc.Arbitrary<PoolGeom> = fc
  .record({
    n: small(2),
    c: small(3),
    hw: fc.tuple(small(9), small(9)),
    k: fc.tuple(small(4), small(4)),
    stride: fc.tuple(small(3), small(3)),
    pad: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
    countIncludePad: fc.boolean(),
    levels: fc.constantFrom(0, 3),
  })
  .map((g) => ({
    ...g,
    // The op rule keeps each padding below the kernel along its axis.
    pad: [g.pad[0] % g.k[0], g.pad[1] % g.k[0], g.pad[2] % g.k[1], g.pad[3] % g.k[1]] as [
      number,
      number,
      number,
      number,
    ],
  }))
  .filter(
    (g) =>
      outSize(g.hw[0], g.k[0], g.stride[0], g.pad[0], g.pad[1], 1) >= 1 &&
      outSize(g.hw[1], g.k[1], g.stride[1], g.pad[2], g.pad[3], 1) >= 1,
  );

const poolGeom = (over: Partial<PoolGeom>): PoolGeom => ({
  n: 2,
  c: 3,
  hw: [9, 8],
  k: [3, 3],
  stride: [2, 2],
  pad: [1, 1, 1, 1],
  countIncludePad: true,
  levels: 0,
  ...over,
});

describe("fast pooling", () => {
  it("matches the reference on random windows, with ties and both divisor rules", () => {
    fc.assert(
      fc.property(poolGeomArb, dtypeArb, fc.nat(1000), (g, dtype, seed) => {
        for (const c of poolCases(g, dtype, seed)) check(c);
      }),
      { numRuns: 150 },
    );
  });

  it("routes max-pool gradients to the first NaN or first maximum, with infinities too", () => {
    const g = poolGeom({
      n: 1,
      c: 2,
      hw: [6, 7],
      k: [3, 2],
      stride: [2, 1],
      pad: [1, 0, 1, 1],
      levels: 2,
    });
    const nan = Number.NaN;
    const inf = Number.POSITIVE_INFINITY;
    const specials: [number, number][] = [4, 5, 17, 40, 41].map((i) => [i, nan]);
    specials.push([50, inf], [52, inf], [60, -inf], [61, -inf], [75, -inf]);
    for (const c of poolCases(g, "float32", 3, specials)) check(c);
  });
});

describe("fast kernels across calls", () => {
  it("stay correct when one kernel set runs large, small, then large shapes", () => {
    const kernels = makeFastKernels(THREADING);
    const convs = [geom({ hw: [12, 11], k: [5, 3] }), geom({ n: 1, hw: [2, 2], k: [1, 2] })];
    const pools = [
      poolGeom({}),
      poolGeom({ n: 1, c: 1, hw: [2, 3], k: [2, 2], stride: [1, 1], pad: [0, 0, 0, 0] }),
    ];
    for (const i of [0, 1, 0]) {
      check(
        matmulCase([2], i === 0 ? [40, 300, 33] : [2, 3, 1], true, true, "float64", i),
        kernels.matmul,
        5,
      );
      for (const c of convCases(convs[i]!, "float32", i))
        check<LibraryCall>(c, kernelFor<LibraryKind>(kernels, c.call.kind), 5);
      for (const c of poolCases(pools[i]!, "float64", i))
        check<LibraryCall>(c, kernelFor<LibraryKind>(kernels, c.call.kind), 5);
    }
  });

  it("allocate no new buffers once warm", () => {
    const kernels = makeFastKernels(THREADING);
    const cases = [
      ...convCases(
        geom({ n: 4, cg: 6, og: 16, hw: [14, 14], k: [5, 5], pad: [1, 2, 0, 1] }),
        "float32",
        1,
      ),
      ...convCases(geom({ n: 4, stride: [2, 2], hw: [15, 15], pad: [1, 1, 1, 1] }), "float32", 2),
      ...convCases(geom({ n: 2, cg: 4, og: 40, hw: [9, 9], pad: [1, 1, 1, 1] }), "float32", 3),
      ...poolCases(poolGeom({ n: 4, c: 6, hw: [28, 28], countIncludePad: false }), "float32", 3),
      ...poolCases(poolGeom({ n: 4, c: 6, hw: [28, 28], k: [2, 2] }), "float32", 3),
      matmulCase([2], [70, 300, 90], false, true, "float32", 4),
    ];
    const calls = cases.map((c) => {
      const inputs = c.inputs.map((x) => Float32Array.from(x));
      const out = new Float32Array(size(c.outShape));
      const kernel = kernelFor(kernels, c.call.kind);
      return () =>
        kernel({ inputs, inShapes: c.inShapes, out, outShape: c.outShape, call: c.call });
    });
    for (const call of calls) call();
    const before = process.memoryUsage().arrayBuffers;
    for (let r = 0; r < 3; r++) for (const call of calls) call();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThanOrEqual(0);
  });
});
