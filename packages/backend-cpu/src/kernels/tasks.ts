import type { FloatArray, GemmCore } from "./gemm";
import { CORE, gemmCore } from "./gemm";
import type { Im2colLib } from "./im2col";
import { IM2COL, im2colCore } from "./im2col";
import type { ChunkTask } from "./threads";
import type { ConvGeometry } from "./window";
import type { ParamCodec, TaskParams } from "./param-codec";
import { paramCodec } from "./param-codec";

/**
 * The GEMM kernels as chunk tasks: a kernel call becomes `count` independent chunks that any
 * thread may run (threads.ts), and the single-threaded path runs the very same chunks in
 * order. Each chunk writes its own part of the output, and every output element sums the same
 * products in the same order whichever thread computes it, so threaded results equal
 * single-threaded ones bit for bit. The factories are self-contained (they refer to nothing
 * outside their bodies but their arguments): workers build them from their source text.
 *
 * Parameters travel to the workers as int32 in shared memory (`p`), but tasks read them as
 * typed records (`MatmulParams`, `ConvParams`) through one codec (`paramCodec`), and kernels
 * write them with the same codec. Operands (`v`) of each task:
 * - matmul: v = `[a, b, c]`; a unit is one `m x w` column block of one product of the batch
 *   (`cpb` per product), a chunk `upc` units.
 * - convolutions: v = `[x, w, y]` (forward), `[x, dy, dw]` (filter gradient), `[dy, w, dx]`
 *   (input gradient). Forward and input gradient: chunk = one image. Filter gradient (summed
 *   over the images, so not split by image): chunk = a block of `cw` columns of each group's
 *   `Og x R` gradient.
 */

export type { ParamCodec, TaskParams } from "./param-codec";
export { paramCodec } from "./param-codec";

/** A matmul call: `[...batch, m, k] x [...batch, k, n]`, split into `units` column blocks `w` wide. */
export interface MatmulParams extends TaskParams {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  /** Columns of C per unit. */
  readonly w: number;
  /** Units (column blocks) per product of the batch. */
  readonly cpb: number;
  readonly units: number;
  /** Units per chunk. */
  readonly upc: number;
}

/** A convolution call: shapes, strides, padding, dilation, groups, and the filter-gradient block width. */
export interface ConvParams extends TaskParams, ConvGeometry {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly O: number;
  readonly I: number;
  readonly KH: number;
  readonly KW: number;
  readonly Ho: number;
  readonly Wo: number;
  /** A 1x1 kernel at stride 1 without padding: the im2col matrix is the image itself. */
  readonly pointwise: boolean;
  /** Columns of each group's gradient per chunk (filter gradient). */
  readonly cw: number;
}

/** The matmul parameters, in transport order. */
export const MATMUL_PARAMS = [
  "m",
  "n",
  "k",
  "transA",
  "transB",
  "w",
  "cpb",
  "units",
  "upc",
] as const satisfies readonly (keyof MatmulParams)[];

/** The matmul parameters' flags. */
const MATMUL_FLAGS = ["transA", "transB"] as const;

/** The convolution parameters, in transport order. */
export const CONV_PARAMS = [
  "N",
  "C",
  "H",
  "W",
  "O",
  "I",
  "KH",
  "KW",
  "Ho",
  "Wo",
  "sh",
  "sw",
  "pt",
  "pl",
  "dh",
  "dw",
  "groups",
  "pointwise",
  "cw",
] as const satisfies readonly (keyof ConvParams)[];

/** The convolution parameters' flags. */
const CONV_FLAGS = ["pointwise"] as const;

/** How matmul calls write and tasks read their parameters. */
export const MATMUL_CODEC: ParamCodec<MatmulParams> = paramCodec(MATMUL_PARAMS, MATMUL_FLAGS);

/** How convolution calls write and tasks read their parameters. */
export const CONV_CODEC: ParamCodec<ConvParams> = paramCodec(CONV_PARAMS, CONV_FLAGS);

/** The matmul chunk task over one thread's GEMM core. */
export const matmulTask = (core: GemmCore, codec: ParamCodec<MatmulParams>): ChunkTask => {
  const bSrc = new core.StridedB();
  return (p, v, chunk) => {
    const a = v[0] as FloatArray;
    const b = v[1] as FloatArray;
    const c = v[2] as FloatArray;
    const { m, n, k, transA, transB, w, cpb, units, upc } = codec.decode(p);
    // A(i, p) at i*aRs + p*aCs; B(p, j) at p*bRs + j*bCs.
    const aRs = transA ? 1 : k;
    const aCs = transA ? m : 1;
    const bRs = transB ? 1 : n;
    const bCs = transB ? k : 1;
    const end = Math.min(units, (chunk + 1) * upc);
    for (let u = chunk * upc; u < end; u++) {
      const bi = Math.floor(u / cpb);
      const j0 = (u - bi * cpb) * w;
      bSrc.set(b, bi * k * n + j0 * bCs, bRs, bCs);
      core.gemm(
        m,
        Math.min(w, n - j0),
        k,
        a,
        bi * m * k,
        aRs,
        aCs,
        bSrc,
        c,
        bi * m * n + j0,
        n,
        false,
      );
    }
    bSrc.release();
  };
};

/** The three convolutions' chunk tasks (forward, filter gradient, input gradient) over one thread's cores. */
export const convTasks = (
  core: GemmCore,
  im: Im2colLib,
  codec: ParamCodec<ConvParams>,
): ChunkTask[] => {
  const { gemm } = core;
  const win = new im.Im2col();
  const cols = new im.Im2colB(win);
  const colsT = new im.Im2colTB(win);
  const strided = new core.StridedB();
  let dcol: Float64Array = new Float64Array(0);

  /** The parameters and derived geometry of a job, read once per chunk. */
  const geom = (p: Int32Array) => {
    const q = codec.decode(p);
    const G = q.groups;
    // The window tables are rebuilt per chunk: O(R + S) against the chunk's O(Og*R*S) flops.
    if (!q.pointwise) win.configure(q.I, q.KH, q.KW, q.Ho, q.Wo, q.sh, q.sw, q.dh, q.dw);
    return { ...q, G, Og: q.O / G, R: q.I * q.KH * q.KW, S: q.Ho * q.Wo };
  };

  // y[n, g] (Og x S) = W[g] (Og x R) * col(x[n, g]) (R x S).
  const forward: ChunkTask = (p, v, n) => {
    const x = v[0] as FloatArray;
    const w = v[1] as FloatArray;
    const y = v[2] as FloatArray;
    const { C, H, W, O, I, G, Og, R, S, pt, pl, pointwise } = geom(p);
    if (pointwise) {
      for (let gi = 0; gi < G; gi++) {
        strided.set(x, (n * C + gi * I) * S, S, 1);
        gemm(Og, S, R, w, gi * Og * R, R, 1, strided, y, (n * O + gi * Og) * S, S, false);
      }
      strided.release();
      return;
    }
    win.load(x, n * C * H * W, C, H, W, pt, pl);
    for (let gi = 0; gi < G; gi++) {
      win.base = gi * I * win.hp * win.wp;
      gemm(Og, S, R, w, gi * Og * R, R, 1, cols, y, (n * O + gi * Og) * S, S, false);
    }
  };

  // dw[g][:, j0:j0+cw] = sum over n of dy[n, g] (Og x S) * col(x[n, g])^T[:, j0:j0+cw].
  const gradFilter: ChunkTask = (p, v, chunk) => {
    const x = v[0] as FloatArray;
    const dy = v[1] as FloatArray;
    const dw = v[2] as FloatArray;
    const { N, C, H, W, O, I, G, Og, R, S, pt, pl, pointwise, cw } = geom(p);
    const j0 = chunk * cw;
    const nc = Math.min(cw, R - j0);
    colsT.col0 = j0;
    for (let n = 0; n < N; n++) {
      if (!pointwise) win.load(x, n * C * H * W, C, H, W, pt, pl);
      for (let gi = 0; gi < G; gi++) {
        const dyOff = (n * O + gi * Og) * S;
        const dwOff = gi * Og * R + j0;
        if (pointwise) {
          strided.set(x, (n * C + gi * I) * S + j0 * S, 1, S);
          gemm(Og, nc, S, dy, dyOff, S, 1, strided, dw, dwOff, R, n > 0);
        } else {
          win.base = gi * I * win.hp * win.wp;
          gemm(Og, nc, S, dy, dyOff, S, 1, colsT, dw, dwOff, R, n > 0);
        }
      }
    }
    colsT.col0 = 0;
    strided.release();
  };

  // dx[n, g] = col2im(W[g]^T (R x Og) * dy[n, g] (Og x S)); pointwise, col2im is the identity.
  const gradInput: ChunkTask = (p, v, n) => {
    const dy = v[0] as FloatArray;
    const w = v[1] as FloatArray;
    const dx = v[2] as FloatArray;
    const { C, H, W, O, I, G, Og, R, S, pt, pl, pointwise } = geom(p);
    if (pointwise) {
      for (let gi = 0; gi < G; gi++) {
        strided.set(dy, (n * O + gi * Og) * S, S, 1);
        gemm(I, S, Og, w, gi * Og * I, 1, I, strided, dx, (n * C + gi * I) * S, S, false);
      }
      strided.release();
      return;
    }
    dcol = core.growF64(dcol, R * S);
    win.zero(C);
    for (let gi = 0; gi < G; gi++) {
      win.base = gi * I * win.hp * win.wp;
      strided.set(dy, (n * O + gi * Og) * S, S, 1);
      gemm(R, S, Og, w, gi * Og * R, 1, R, strided, dcol, 0, S, false);
      win.scatter(dcol, R, S);
    }
    win.crop(dx, n * C * H * W, C, H, W, pt, pl);
    strided.release();
  };

  return [forward, gradFilter, gradInput];
};

/** Index of each kernel's task in `TASKS`. */
export const TASK = { matmul: 0, conv2d: 1, conv2dGradFilter: 2, conv2dGradInput: 3 } as const;

/** The tasks of this thread, in the order of `TASK`. */
export const TASKS: readonly ChunkTask[] = [
  matmulTask(CORE, MATMUL_CODEC),
  ...convTasks(CORE, IM2COL, CONV_CODEC),
];

/** Source of an expression that builds `TASKS` in a worker, from the same factories and codecs. */
export const TASKS_SOURCE = `(() => {
  const core = (${gemmCore.toString()})();
  const im = (${im2colCore.toString()})(core);
  const codec = ${paramCodec.toString()};
  const matmul = codec(${JSON.stringify(MATMUL_PARAMS)}, ${JSON.stringify(MATMUL_FLAGS)});
  const conv = codec(${JSON.stringify(CONV_PARAMS)}, ${JSON.stringify(CONV_FLAGS)});
  return [(${matmulTask.toString()})(core, matmul), ...(${convTasks.toString()})(core, im, conv)];
})()`;
