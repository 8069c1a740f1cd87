import type { FloatArray, GemmCore } from "./gemm";
import { CORE, gemmCore } from "./gemm";
import type { Im2colLib } from "./im2col";
import { IM2COL, im2colCore } from "./im2col";
import type { ChunkTask } from "./threads";

/**
 * The GEMM kernels as chunk tasks: a kernel call becomes `count` independent chunks that any
 * thread may run (threads.ts), and the single-threaded path runs the very same chunks in
 * order. Each chunk writes its own part of the output, and every output element sums the same
 * products in the same order whichever thread computes it, so threaded results equal
 * single-threaded ones bit for bit. The factories are self-contained (they refer to nothing
 * outside their bodies but their arguments): workers build them from their source text.
 *
 * Parameters (`p`, int32) and operands (`v`) of each task:
 * - matmul: p = `[m, n, k, transA, transB, w, cpb, units, upc]`, v = `[a, b, c]`; a unit is
 *   one `m x w` column block of one product of the batch (`cpb` per product), a chunk `upc`
 *   units.
 * - convolutions: p = `CONV_PARAMS` below, v = `[x, w, y]` (forward), `[x, dy, dw]` (filter
 *   gradient), `[dy, w, dx]` (input gradient). Forward and input gradient: chunk = one image.
 *   Filter gradient (summed over the images, so not split by image): chunk = a block of `cw`
 *   columns of each group's `Og x R` gradient.
 */

/** The convolution parameters, in order. */
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
] as const;

/** The matmul chunk task over one thread's GEMM core. */
export const matmulTask = (core: GemmCore): ChunkTask => {
  const bSrc = new core.StridedB();
  return (p, v, chunk) => {
    const a = v[0] as FloatArray;
    const b = v[1] as FloatArray;
    const c = v[2] as FloatArray;
    const m = p[0];
    const n = p[1];
    const k = p[2];
    const transA = p[3] !== 0;
    const transB = p[4] !== 0;
    const w = p[5];
    const cpb = p[6];
    // A(i, p) at i*aRs + p*aCs; B(p, j) at p*bRs + j*bCs.
    const aRs = transA ? 1 : k;
    const aCs = transA ? m : 1;
    const bRs = transB ? 1 : n;
    const bCs = transB ? k : 1;
    const end = Math.min(p[7], (chunk + 1) * p[8]);
    for (let u = chunk * p[8]; u < end; u++) {
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
export const convTasks = (core: GemmCore, im: Im2colLib): ChunkTask[] => {
  const { gemm } = core;
  const win = new im.Im2col();
  const cols = new im.Im2colB(win);
  const colsT = new im.Im2colTB(win);
  const strided = new core.StridedB();
  let dcol: Float64Array = new Float64Array(0);

  /** The geometry of a job, read once per chunk (`p` in the order of CONV_PARAMS). */
  const geom = (p: Int32Array) => {
    const I = p[5];
    const KH = p[6];
    const KW = p[7];
    const S = p[8] * p[9];
    const G = p[16];
    const Og = p[4] / G;
    const R = I * KH * KW;
    // The window tables are rebuilt per chunk: O(R + S) against the chunk's O(Og*R*S) flops.
    if (p[17] === 0) win.configure(I, KH, KW, p[8], p[9], p[10], p[11], p[14], p[15]);
    return { N: p[0], C: p[1], H: p[2], W: p[3], O: p[4], I, G, Og, R, S, pt: p[12], pl: p[13] };
  };

  // y[n, g] (Og x S) = W[g] (Og x R) * col(x[n, g]) (R x S).
  const forward: ChunkTask = (p, v, n) => {
    const x = v[0] as FloatArray;
    const w = v[1] as FloatArray;
    const y = v[2] as FloatArray;
    const { C, H, W, O, I, G, Og, R, S, pt, pl } = geom(p);
    if (p[17] !== 0) {
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
    const { N, C, H, W, O, I, G, Og, R, S, pt, pl } = geom(p);
    const j0 = chunk * p[18];
    const nc = Math.min(p[18], R - j0);
    colsT.col0 = j0;
    for (let n = 0; n < N; n++) {
      if (p[17] === 0) win.load(x, n * C * H * W, C, H, W, pt, pl);
      for (let gi = 0; gi < G; gi++) {
        const dyOff = (n * O + gi * Og) * S;
        const dwOff = gi * Og * R + j0;
        if (p[17] !== 0) {
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
    const { C, H, W, O, I, G, Og, R, S, pt, pl } = geom(p);
    if (p[17] !== 0) {
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
export const TASKS: readonly ChunkTask[] = [matmulTask(CORE), ...convTasks(CORE, IM2COL)];

/** Source of an expression that builds `TASKS` in a worker, from the same factories. */
export const TASKS_SOURCE = `(() => {
  const core = (${gemmCore.toString()})();
  const im = (${im2colCore.toString()})(core);
  return [(${matmulTask.toString()})(core), ...(${convTasks.toString()})(core, im)];
})()`;
