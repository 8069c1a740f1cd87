import type { FloatArray, GemmCore } from "./gemm";
import { Im2col } from "./im2col";

/**
 * Direct convolution kernels: 4x4 register tiles like the GEMM micro-kernel, but with no
 * im2col packing. When a convolution has few output channels per group, every im2col element
 * feeds only `2*Og` flops, so packing it costs as much as the multiply; here the taps are read
 * straight from the padded image through the offset table of `Im2col`:
 *
 * - forward: tile = 4 output channels x 4 windows, summing over the taps;
 * - filter gradient: tile = 4 output channels x 4 taps, summing over the windows;
 * - input gradient: tile = 4 taps x 4 windows of `W^T * dy`, summing over the output channels
 *   and scatter-added into the padded input gradient (col2im fused into the store), so no
 *   flop is spent on padding, whatever the stride.
 *
 * All operands live in buffers that are constants of the factory's closure (the pack buffers
 * of a GEMM core while no GEMM runs, and an offset table the factory owns), so that V8
 * compiles their addresses and lengths into the loops, as in `gemmCore`; a convolution too big
 * for them takes the GEMM path (`directFits`). Hot loops touch only closure-local bindings: a
 * bundler that turns ESM into CommonJS makes every imported binding a getter call, which
 * costs 10x inside a micro-kernel.
 */

/**
 * The direct kernels over `core`'s pack buffers and an offset table of their own. One instance
 * per convolution kernel: instances that share a core must not run at the same time (kernels
 * run synchronously, so the kernels of one thread never do).
 */
export const directCore = (core: GemmCore) => {
  /** Packed panels: filters, their transposes, dy. */
  const PAN = core.PACK_A;
  /** The padded image (or input gradient) of one sample. */
  const IMG = core.PACK_B;
  /** Tap and window offsets into IMG. */
  const TAB = new Int32Array(1 << 15);
  /** The accumulators of the last tile (the GEMM core's). */
  const TILE = core.TILE;
  /** The GEMM's micro-kernel: with TILE as C, TILE = PAN-panel x IMG-panel (the input gradient's). */
  const micro = core.micro;
  /** Writes (or adds) the top-left `rows x cols` of TILE into C at `co` with row stride `ldc`. */
  const storeTile = core.storeEdge;

  /** A window over the direct kernels' image buffer and offset table. */
  const newDirectWindow = (): Im2col => new Im2col(IMG, TAB);

  /** The length of `rows x k` packed as 4-tall panels. */
  const panelSize = (rows: number, k: number): number => Math.ceil(rows / 4) * 4 * k;

  /** Whether `panels` packed elements and `channels` padded planes of `win` fit the buffers. */
  const directFits = (win: Im2col, channels: number, panels: number): boolean =>
    panels <= PAN.length && win.fits(channels);

  /**
   * Where the input gradient packs dy: in IMG just past the `channels` padded planes of `win`,
   * so that the GEMM's tile (PAN x IMG) multiplies it with the filter's transpose in PAN.
   */
  const dyOffset = (win: Im2col, channels: number): number => channels * win.hp * win.wp;

  /** Whether the input gradient's dy panels (`dyPanels` elements at `dyOffset`) fit in IMG too. */
  const dyFits = (win: Im2col, channels: number, dyPanels: number): boolean =>
    dyOffset(win, channels) + dyPanels <= IMG.length;

  /**
   * Packs the `rows x k` matrix at `src[off..]` (element (i, p) at `off + i*rs + p*cs`) into PAN
   * as 4-tall panels, `PAN[dOff + (b*k + p)*4 + ii]` = element (4b + ii, p), zero past `rows`.
   */
  const packPanels = (
    dOff: number,
    src: FloatArray,
    off: number,
    rs: number,
    cs: number,
    rows: number,
    k: number,
  ): void => {
    let q = dOff;
    for (let i0 = 0; i0 < rows; i0 += 4) {
      const n = Math.min(4, rows - i0);
      for (let p = 0; p < k; p++) {
        const at = off + i0 * rs + p * cs;
        for (let ii = 0; ii < 4; ii++) PAN[q++] = ii < n ? src[at + ii * rs] : 0;
      }
    }
  };

  /**
   * TILE = PAN-panel at `ia` x B over `k` steps, B gathered from the image: `B(p, j) =
   * IMG[TAB[tb + p] + oj]` for the four column offsets `o0..o3` (forward, filter gradient).
   * PAN is the core's A panel buffer, which the template reads as `PA`.
   */
  const tileGather = core.compileTile<
    (k: number, ia: number, tb: number, o0: number, o1: number, o2: number, o3: number) => void
  >(
    { TAB, IMG },
    "tb, o0, o1, o2, o3",
    `const t = TAB[(tb + p) | 0];
    const b0 = IMG[(t + o0) | 0]; const b1 = IMG[(t + o1) | 0];
    const b2 = IMG[(t + o2) | 0]; const b3 = IMG[(t + o3) | 0];`,
    "",
    core.toTile,
    (k, ia, tb, o0, o1, o2, o3) => {
      const o = [o0, o1, o2, o3];
      core.tileGeneric(k, ia, (p, j) => IMG[TAB[tb + p] + o[j]]);
    },
  );

  /**
   * Forward, one image and group: `y[yOff + o*S + s] = sum_r W(o, r) * tap(r, s)`, the `Og x R`
   * filter packed at `PAN[pwOff..]`.
   */
  const directForward = (
    win: Im2col,
    pwOff: number,
    Og: number,
    R: number,
    S: number,
    y: FloatArray,
    yOff: number,
  ): void => {
    const { base, sBase } = win;
    const last = sBase + S - 1;
    for (let o0 = 0; o0 < Og; o0 += 4) {
      const rows = Math.min(4, Og - o0);
      const ia = pwOff + o0 * R;
      for (let s0 = 0; s0 < S; s0 += 4) {
        const s = sBase + s0;
        const o1 = base + TAB[Math.min(s + 1, last)];
        const o2 = base + TAB[Math.min(s + 2, last)];
        const o3 = base + TAB[Math.min(s + 3, last)];
        tileGather(R, ia, 0, base + TAB[s], o1, o2, o3);
        storeTile(y, yOff + o0 * S + s0, S, rows, Math.min(4, S - s0), false);
      }
    }
  };

  /**
   * Filter gradient, one image and group: `dW(o, r) += sum_s dy(o, s) * tap(r, s)` into the
   * float64 accumulator `acc[accOff + o*R + r]`, with the `Og x S` dy packed at `PAN[pdOff..]`.
   */
  const directGradFilter = (
    win: Im2col,
    pdOff: number,
    Og: number,
    R: number,
    S: number,
    acc: Float64Array,
    accOff: number,
  ): void => {
    const { base, sBase } = win;
    const last = R - 1;
    for (let o0 = 0; o0 < Og; o0 += 4) {
      const rows = Math.min(4, Og - o0);
      const ia = pdOff + o0 * S;
      for (let r0 = 0; r0 < R; r0 += 4) {
        const o1 = base + TAB[Math.min(r0 + 1, last)];
        const o2 = base + TAB[Math.min(r0 + 2, last)];
        const o3 = base + TAB[Math.min(r0 + 3, last)];
        tileGather(S, ia, sBase, base + TAB[r0], o1, o2, o3);
        storeTile(acc, accOff + o0 * R + r0, R, rows, Math.min(4, R - r0), true);
      }
    }
  };

  /**
   * Packs the `Og x S` dy at `src[off..]` for `directGradInput` into IMG (at `dyOffset`): panel b
   * holds the windows `b + j*Q` (j < 4, `Q = ceil(S/4)`), `IMG[dOff + (b*Og + o)*4 + j] = dy(o, b + j*Q)`, zero
   * past S. Windows that far apart share no input pixel, so a tile's 16 scatter-adds never hit
   * the same address (adjacent windows would, serialising the adds on store-to-load forwarding).
   */
  const packWindowsSpread = (
    dOff: number,
    src: FloatArray,
    off: number,
    Og: number,
    S: number,
  ): void => {
    const Q = Math.ceil(S / 4);
    let q = dOff;
    for (let b = 0; b < Q; b++) {
      for (let o = 0; o < Og; o++) {
        const row = off + o * S + b;
        for (let j = 0; j < 4; j++) IMG[q++] = b + j * Q < S ? src[row + j * Q] : 0;
      }
    }
  };

  /**
   * Input gradient, one image and group: adds `(W^T dy)(r, s)` into tap r of window s of the
   * (zeroed) padded image, with the `R x Og` filter transpose packed at `PAN[pwtOff..]` and dy
   * at `IMG[pdOff..]` by `packWindowsSpread`.
   */
  const directGradInput = (
    win: Im2col,
    pwtOff: number,
    pdOff: number,
    Og: number,
    R: number,
    S: number,
  ): void => {
    const { base, sBase } = win;
    const Q = Math.ceil(S / 4);
    for (let b = 0; b < Q; b++) {
      for (let r0 = 0; r0 < R; r0 += 4) {
        const rows = Math.min(4, R - r0);
        micro(Og, pwtOff + r0 * Og, pdOff + b * Og * 4, TILE, 0, 4, 4, 4, false);
        for (let j = 0, s = b; j < 4 && s < S; j++, s += Q) {
          const so = base + TAB[sBase + s];
          for (let i = 0; i < rows; i++) IMG[so + TAB[r0 + i]] += TILE[i * 4 + j];
        }
      }
    }
  };

  return {
    newDirectWindow,
    panelSize,
    directFits,
    dyOffset,
    dyFits,
    packPanels,
    directForward,
    directGradFilter,
    packWindowsSpread,
    directGradInput,
  };
};

/** The direct kernels of one `directCore`. */
export type DirectCore = ReturnType<typeof directCore>;
