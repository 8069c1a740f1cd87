/**
 * Quick timings of the fast library kernels (not a test, not the tfjs comparison):
 * `npx tsx packages/backend-cpu/src/kernels/timing.ts`. Prints GFLOP/s of matmul at 256^3 and
 * 1024^3 for the four transposition variants, and milliseconds of the LeNet-5 convolutions
 * and poolings, forward and backward, at batch 64 and 32, on one thread and on
 * `defaultThreads()`. Each figure is the best of several runs, in wall time and (one thread)
 * in process CPU time, which is steadier on a shared machine (with threads it sums them all).
 */
import type { Attrs, LibraryCall, LibraryKind } from "@loom/graph";
import type { LibraryKernelImpl } from "./kernel";
import { kernelFor } from "./kernel";
import type { ConvPath } from "./conv2d";
import { makeConv2dGradFilterKernel, makeConv2dGradInputKernel, makeConv2dKernel } from "./conv2d";
import { makeFastKernels } from "./index";
import { kernelPool } from "./parallel";
import { defaultThreads } from "./threads";

type Timing = { wall: number; cpu: number };

const THREADS = defaultThreads();
const ONE = makeFastKernels({ threads: 1 });
const MANY = makeFastKernels({ threads: THREADS });
// Workers start in the background; wait for them so the first timings are not of one thread.
kernelPool()?.ready();

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

const conv = { stride: [1, 1], dilation: [1, 1], groups: 1 };
for (const b of [64, 32]) {
  console.log(`LeNet-5 layers at batch ${b}, ms  [1 thread wall | cpu]  [${THREADS} threads wall]`);
  const rows: [string, LibraryKind, number[][], number[], Attrs][] = [
    [
      "conv1 fwd",
      "conv2d",
      [
        [b, 1, 28, 28],
        [6, 1, 5, 5],
      ],
      [b, 6, 28, 28],
      { ...conv, pad: [2, 2, 2, 2] },
    ],
    [
      "conv1 dW",
      "conv2d_grad_filter",
      [
        [b, 1, 28, 28],
        [b, 6, 28, 28],
      ],
      [6, 1, 5, 5],
      { ...conv, pad: [2, 2, 2, 2], filterShape: [5, 5] },
    ],
    [
      "conv1 dx",
      "conv2d_grad_input",
      [
        [b, 6, 28, 28],
        [6, 1, 5, 5],
      ],
      [b, 1, 28, 28],
      { ...conv, pad: [2, 2, 2, 2], inputShape: [28, 28] },
    ],
    [
      "conv2 fwd",
      "conv2d",
      [
        [b, 6, 14, 14],
        [16, 6, 5, 5],
      ],
      [b, 16, 10, 10],
      { ...conv, pad: [0, 0, 0, 0] },
    ],
    [
      "conv2 dW",
      "conv2d_grad_filter",
      [
        [b, 6, 14, 14],
        [b, 16, 10, 10],
      ],
      [16, 6, 5, 5],
      { ...conv, pad: [0, 0, 0, 0], filterShape: [5, 5] },
    ],
    [
      "conv2 dx",
      "conv2d_grad_input",
      [
        [b, 16, 10, 10],
        [16, 6, 5, 5],
      ],
      [b, 6, 14, 14],
      { ...conv, pad: [0, 0, 0, 0], inputShape: [14, 14] },
    ],
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
  conv2d: makeConv2dKernel(p, { threads }),
  conv2d_grad_filter: makeConv2dGradFilterKernel(p, { threads }),
  conv2d_grad_input: makeConv2dGradInputKernel(p, { threads }),
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
  const base = { stride: [1, 1], dilation: [1, 1], groups: 1, pad: [pad, pad, pad, pad] };
  const x = [N, C, HW, HW];
  const w = [O, C, K, K];
  const y = [N, O, Ho, Ho];
  const ops: [keyof (typeof kernels)[0], number[][], number[], Attrs][] = [
    ["conv2d", [x, w], y, base],
    ["conv2d_grad_filter", [x, y], w, { ...base, filterShape: [K, K] }],
    ["conv2d_grad_input", [y, w], x, { ...base, inputShape: [HW, HW] }],
  ];
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
