/**
 * Quick timings of the fast library kernels (not a test, not the tfjs comparison):
 * `pnpm exec tsx apps/demo/src/bench/kernel-timing.ts`. Prints GFLOP/s of matmul at 256^3 and
 * 1024^3 for the four transposition variants, and milliseconds of the LeNet-5 convolutions
 * and poolings, forward and backward, at batch 64 and 32, on one thread and on
 * `defaultThreads()`. Each figure is the best of several runs, in wall time and (one thread)
 * in process CPU time, which is steadier on a shared machine (with threads it sums them all).
 */
import type { Attrs, LibraryCall, LibraryKind } from "@loom/graph";
import type { ConvPath, LibraryKernelImpl } from "@loom/backend-cpu";
import {
  defaultThreads,
  kernelFor,
  kernelPool,
  makeConv2dGradFilterKernel,
  makeConv2dGradInputKernel,
  makeConv2dKernel,
  makeFastKernels,
} from "@loom/backend-cpu";

type Timing = { wall: number; cpu: number };

const THREADS = defaultThreads();
/** The workers of every threaded kernel below, closed at the end. */
const POOL = kernelPool();
const ONE = makeFastKernels({ threads: 1, pool: POOL });
const MANY = makeFastKernels({ threads: THREADS, pool: POOL });
// Workers start in the background; wait for them so the first timings are not of one thread.
POOL.get()?.ready();

/** Best wall and CPU milliseconds of `fn` over `runs` runs after a few warm-up runs (JIT tiers). */
const time = (fn: () => void, runs: number): Timing => {
  for (let i = 0; i < 3; i++) fn();
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall = Math.min(wall, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return { wall, cpu };
};

const filled = (n: number): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 0.37);
  return a;
};
const numel = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/** Times one library op on float32 data of the given shapes. */
const timeOp = (
  op: LibraryKind,
  inShapes: number[][],
  outShape: number[],
  attrs: Attrs,
  runs: number,
  kernel: LibraryKernelImpl = kernelFor(ONE, op),
): Timing => {
  const inputs = inShapes.map((s) => filled(numel(s)));
  const out = new Float32Array(numel(outShape));
  // The rows below are written as attribute bags; this script trusts them as the op's call.
  const call = { kind: op, transA: false, transB: false, ...attrs } as unknown as LibraryCall;
  return time(() => kernel({ inputs, inShapes, out, outShape, call }), runs);
};

const fmt = (x: number) => x.toFixed(2).padStart(7);

console.log(`matmul (float32), GFLOP/s  [1 thread wall | cpu]  [${THREADS} threads wall]`);
for (const n of [256, 1024]) {
  for (const [transA, transB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const shapes = [
      [n, n],
      [n, n],
    ];
    const runs = n > 512 ? 3 : 20;
    const t = timeOp("matmul", shapes, [n, n], { transA, transB }, runs);
    const tn = timeOp(
      "matmul",
      shapes,
      [n, n],
      { transA, transB },
      runs,
      MANY.matmul as LibraryKernelImpl,
    );
    const gf = (ms: number) => (2 * n ** 3) / ms / 1e6;
    const name = `${n}^3 ${transA ? "A^T" : "A"}${transB ? "B^T" : "B"}`;
    console.log(`  ${name.padEnd(14)} ${fmt(gf(t.wall))} | ${fmt(gf(t.cpu))}  ${fmt(gf(tn.wall))}`);
  }
}

type ConvOp = "conv2d" | "conv2d_grad_filter" | "conv2d_grad_input";

/** The three convolutions of a layer (forward, filter gradient, input gradient): op, input shapes, output shape, attrs. */
const convOps = (
  x: number[],
  w: number[],
  y: number[],
  pad: number,
): [ConvOp, number[][], number[], Attrs][] => {
  const base = { stride: [1, 1], dilation: [1, 1], groups: 1, pad: [pad, pad, pad, pad] };
  return [
    ["conv2d", [x, w], y, base],
    ["conv2d_grad_filter", [x, y], w, { ...base, filterShape: w.slice(2) }],
    ["conv2d_grad_input", [y, w], x, { ...base, inputShape: x.slice(2) }],
  ];
};
/** A row of the LeNet-5 table: its name, the op, input shapes, output shape and attrs. */
type Row = [name: string, op: LibraryKind, ins: number[][], out: number[], attrs: Attrs];
/** {@link convOps} as rows of the LeNet-5 table, named `<layer> fwd`, `dW`, `dx`. */
const convRows = (layer: string, x: number[], w: number[], y: number[], pad: number): Row[] =>
  convOps(x, w, y, pad).map(([op, ins, out, attrs], i) => [
    `${layer} ${["fwd", "dW", "dx"][i]}`,
    op,
    ins,
    out,
    attrs,
  ]);

for (const b of [64, 32]) {
  console.log(`LeNet-5 layers at batch ${b}, ms  [1 thread wall | cpu]  [${THREADS} threads wall]`);
  const rows: Row[] = [
    ...convRows("conv1", [b, 1, 28, 28], [6, 1, 5, 5], [b, 6, 28, 28], 2),
    ...convRows("conv2", [b, 6, 14, 14], [16, 6, 5, 5], [b, 16, 10, 10], 0),
    [
      "pool1 max fwd",
      "max_pool2d",
      [[b, 6, 28, 28]],
      [b, 6, 14, 14],
      { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0] },
    ],
    [
      "pool1 max bwd",
      "max_pool2d_grad",
      [
        [b, 6, 28, 28],
        [b, 6, 14, 14],
      ],
      [b, 6, 28, 28],
      { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0] },
    ],
    [
      "pool1 avg fwd",
      "avg_pool2d",
      [[b, 6, 28, 28]],
      [b, 6, 14, 14],
      { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], countIncludePad: true },
    ],
    [
      "pool1 avg bwd",
      "avg_pool2d_grad",
      [[b, 6, 14, 14]],
      [b, 6, 28, 28],
      {
        kernel: [2, 2],
        stride: [2, 2],
        pad: [0, 0, 0, 0],
        countIncludePad: true,
        inputShape: [28, 28],
      },
    ],
    [
      "fc1 fwd",
      "matmul",
      [
        [b, 400],
        [400, 120],
      ],
      [b, 120],
      {},
    ],
    [
      "fc1 dW",
      "matmul",
      [
        [b, 400],
        [b, 120],
      ],
      [400, 120],
      { transA: true },
    ],
    [
      "fc1 dx",
      "matmul",
      [
        [b, 120],
        [400, 120],
      ],
      [b, 400],
      { transB: true },
    ],
  ];
  let total = { wall: 0, cpu: 0, many: 0 };
  for (const [name, op, ins, out, attrs] of rows) {
    const t = timeOp(op, ins, out, attrs, 10);
    const tn = timeOp(op, ins, out, attrs, 10, kernelFor(MANY, op));
    if (name.startsWith("conv"))
      total = { wall: total.wall + t.wall, cpu: total.cpu + t.cpu, many: total.many + tn.wall };
    console.log(`  ${name.padEnd(14)} ${fmt(t.wall)} | ${fmt(t.cpu)}  ${fmt(tn.wall)}`);
  }
  console.log(
    `  ${"all convs".padEnd(14)} ${fmt(total.wall)} | ${fmt(total.cpu)}  ${fmt(total.many)}`,
  );
}

// The direct kernels against the GEMM path, per convolution shape: the data behind the
// dispatch rule in conv2d.ts. One thread in CPU time, and the GEMM path on all threads in
// wall time (it splits from THREAD_FLOPS on; the filter gradient only from 64 taps on).
console.log(`conv paths, ms  [direct | gemm, 1 thread, CPU]  [gemm, ${THREADS} threads, wall]`);
const paths: [ConvPath, number][] = [
  ["direct", 1],
  ["gemm", 1],
  ["gemm", THREADS],
];
const kernels = paths.map(([p, threads]) => ({
  conv2d: makeConv2dKernel(p, { threads, pool: POOL }),
  conv2d_grad_filter: makeConv2dGradFilterKernel(p, { threads, pool: POOL }),
  conv2d_grad_input: makeConv2dGradInputKernel(p, { threads, pool: POOL }),
}));
const shapes: [string, number, number, number, number, number, number][] = [
  // name, N, C, HW, O, K, pad
  ["LeNet conv1 b64", 64, 1, 28, 6, 5, 2],
  ["LeNet conv2 b64", 64, 6, 14, 16, 5, 0],
  ["3x3 C16 O16 32px b16", 16, 16, 32, 16, 3, 1],
  ["3x3 C32 O32 32px b8", 8, 32, 32, 32, 3, 1],
  ["3x3 C32 O64 16px b8", 8, 32, 16, 64, 3, 1],
  ["3x3 C64 O128 16px b4", 4, 64, 16, 128, 3, 1],
];
for (const [name, N, C, HW, O, K, pad] of shapes) {
  const Ho = HW + 2 * pad - K + 1;
  const ops = convOps([N, C, HW, HW], [O, C, K, K], [N, O, Ho, Ho], pad);
  const cells = ops.map(([op, ins, out, attrs]) =>
    kernels
      .map((k, i) => {
        const t = timeOp(op, ins, out, attrs, 5, k[op] as LibraryKernelImpl);
        return fmt(paths[i]![1] > 1 ? t.wall : t.cpu);
      })
      .join(" |"),
  );
  console.log(`  ${name.padEnd(22)} fwd ${cells[0]}   dW ${cells[1]}   dx ${cells[2]}`);
}
POOL.close();
