import type { BPacker, FloatArray, GemmCore } from "./gemm";
import { CORE } from "./gemm";

/**
 * The im2col classes over one thread's GEMM core, self-contained like `gemmCore` (they refer to
 * nothing outside this function but `core`), so worker threads build them from its source.
 */
export const im2colCore = (core: GemmCore) => {
  /** Panel width of the packed B (the GEMM's NR), local so that hot loops read no outer binding. */
  const NR = 4;
  const { growF64, growI32 } = core;

  /**
   * Implicit im2col: a sliding window over a zero-padded float64 copy of one image. Tap `r =
   * (c, kh, kw)` of window `s = (ho, wo)` reads `img[base + tab[r] + tab[sBase + s]]`, so
   * packing a GEMM panel costs one add and one load per element, with no bounds tests (the
   * padding is real zeros) and no im2col matrix in memory: the padded copy is `C*Hp*Wp`, about
   * `KH*KW` times smaller.
   */
  class Im2col {
    /** The padded image(s), `[C, Hp, Wp]`. */
    img: Float64Array;
    /** The tap offsets `tab[r]` for r < R, then the window offsets `tab[sBase + s]`. */
    tab: Int32Array;
    /** Where the window offsets start in `tab` (= R, the taps per group). */
    sBase = 0;
    /** Offset of the current channel group inside `img`. */
    base = 0;
    /** Padded height: exactly the rows the windows reach. */
    hp = 0;
    /** Padded width: exactly the columns the windows reach. */
    wp = 0;
    private readonly fixed: boolean;
    private tablesFit = true;

    /**
     * With `img` and `tab` given, works in those fixed buffers (the caller checks `fits` first);
     * otherwise in grow-only buffers of its own.
     */
    constructor(img?: Float64Array, tab?: Int32Array) {
      this.fixed = img !== undefined;
      this.img = img ?? new Float64Array(0);
      this.tab = tab ?? new Int32Array(0);
    }

    /** Whether `channels` padded planes and the tables fit in fixed buffers. */
    fits(channels: number): boolean {
      return !this.fixed || (this.tablesFit && channels * this.hp * this.wp <= this.img.length);
    }

    /**
     * Sets the window geometry: `channels` input channels per group, a `kh x kw` kernel with
     * dilation `(dh, dw)`, strides `(sh, sw)` and `ho x wo` windows; the padded origin is the
     * first window's first tap. In fixed buffers, check `fits` (and the table size) after.
     */
    configure(
      channels: number,
      kh: number,
      kw: number,
      ho: number,
      wo: number,
      sh: number,
      sw: number,
      dh: number,
      dw: number,
    ): this {
      this.hp = (ho - 1) * sh + (kh - 1) * dh + 1;
      this.wp = (wo - 1) * sw + (kw - 1) * dw + 1;
      const R = channels * kh * kw;
      const need = R + ho * wo;
      this.sBase = R;
      this.tablesFit = !this.fixed || need <= this.tab.length;
      if (!this.tablesFit) return this;
      if (!this.fixed) this.tab = growI32(this.tab, need);
      const { tab, wp } = this;
      const plane = this.hp * wp;
      let q = 0;
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) tab[q++] = c * plane + i * dh * wp + j * dw;
        }
      }
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) tab[q++] = i * sh * wp + j * sw;
      }
      return this;
    }

    private reserve(C: number): Float64Array {
      if (!this.fixed) this.img = growF64(this.img, C * this.hp * this.wp);
      return this.img;
    }

    /**
     * Copies the `C x H x W` image at `src[off..]` into `img` so that source pixel (h, w) lands
     * at padded (h + padT, w + padL); negative paddings crop. Everything else is zero.
     */
    load(
      src: FloatArray,
      off: number,
      C: number,
      H: number,
      W: number,
      padT: number,
      padL: number,
    ) {
      const { hp, wp } = this;
      const img = this.reserve(C);
      const w0 = Math.max(0, padL);
      const w1 = Math.min(wp, W + padL);
      let q = 0;
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < hp; i++) {
          const h = i - padT;
          if (h < 0 || h >= H || w1 <= w0) {
            img.fill(0, q, q + wp);
          } else {
            img.fill(0, q, q + w0);
            const row = off + (c * H + h) * W - padL;
            for (let j = w0; j < w1; j++) img[q + j] = src[row + j];
            img.fill(0, q + w1, q + wp);
          }
          q += wp;
        }
      }
    }

    /** Zeroes `C` padded planes, to scatter-add into (col2im). */
    zero(C: number): void {
      this.reserve(C).fill(0, 0, C * this.hp * this.wp);
    }

    /** Copies the `C x H x W` window of `img` at padded offset (padT, padL) to `dst[off..]`, zero outside. */
    crop(
      dst: FloatArray,
      off: number,
      C: number,
      H: number,
      W: number,
      padT: number,
      padL: number,
    ) {
      const { img, hp, wp } = this;
      const w0 = Math.max(0, -padL);
      const w1 = Math.min(W, wp - padL);
      let o = off;
      for (let c = 0; c < C; c++) {
        for (let h = 0; h < H; h++) {
          const i = h + padT;
          if (i < 0 || i >= hp || w1 <= w0) {
            dst.fill(0, o, o + W);
          } else {
            dst.fill(0, o, o + w0);
            const row = (c * hp + i) * wp + padL;
            for (let w = w0; w < w1; w++) dst[o + w] = img[row + w];
            dst.fill(0, o + w1, o + W);
          }
          o += W;
        }
      }
    }

    /**
     * col2im: adds `cols[r*S + s]` (an `R x S` matrix over the current group's taps) into tap r
     * of window s, the adjoint of packing.
     */
    scatter(cols: Float64Array, R: number, S: number): void {
      const { img, tab, sBase, base } = this;
      for (let r = 0; r < R; r++) {
        const ro = base + tab[r];
        const row = r * S;
        for (let s = 0; s < S; s++) img[ro + tab[sBase + s]] += cols[row + s];
      }
    }
  }

  /** B = the im2col matrix of the current group: B(r, s) = tap r of window s. */
  class Im2colB implements BPacker {
    constructor(private readonly win: Im2col) {}

    pack(dst: Float64Array, p0: number, kc: number, j0: number, nc: number): void {
      const { img, tab, sBase, base } = this.win;
      let q = 0;
      for (let jp = 0; jp < nc; jp += NR) {
        const s = sBase + j0 + jp;
        const cols = nc - jp;
        if (cols >= NR) {
          const s0 = base + tab[s];
          const s1 = base + tab[s + 1];
          const s2 = base + tab[s + 2];
          const s3 = base + tab[s + 3];
          for (let p = 0; p < kc; p++) {
            const ro = tab[p0 + p];
            dst[q] = img[ro + s0];
            dst[q + 1] = img[ro + s1];
            dst[q + 2] = img[ro + s2];
            dst[q + 3] = img[ro + s3];
            q += NR;
          }
        } else {
          for (let p = 0; p < kc; p++) {
            const ro = base + tab[p0 + p];
            for (let jj = 0; jj < NR; jj++) dst[q++] = jj < cols ? img[ro + tab[s + jj]] : 0;
          }
        }
      }
    }
  }

  /** B = the transposed im2col matrix of the current group: B(s, r) = tap r of window s. */
  class Im2colTB implements BPacker {
    constructor(private readonly win: Im2col) {}

    /** The first column of the matrix that column 0 of B stands for (a thread's share of dW). */
    col0 = 0;

    pack(dst: Float64Array, p0: number, kc: number, j0: number, nc: number): void {
      const { img, tab, sBase, base } = this.win;
      let q = 0;
      for (let jp = 0; jp < nc; jp += NR) {
        const r = this.col0 + j0 + jp;
        const cols = nc - jp;
        if (cols >= NR) {
          const r0 = base + tab[r];
          const r1 = base + tab[r + 1];
          const r2 = base + tab[r + 2];
          const r3 = base + tab[r + 3];
          for (let p = 0; p < kc; p++) {
            const so = tab[sBase + p0 + p];
            dst[q] = img[so + r0];
            dst[q + 1] = img[so + r1];
            dst[q + 2] = img[so + r2];
            dst[q + 3] = img[so + r3];
            q += NR;
          }
        } else {
          for (let p = 0; p < kc; p++) {
            const so = base + tab[sBase + p0 + p];
            for (let jj = 0; jj < NR; jj++) dst[q++] = jj < cols ? img[so + tab[r + jj]] : 0;
          }
        }
      }
    }
  }

  return { Im2col, Im2colB, Im2colTB };
};

/** One thread's im2col classes, as `im2colCore` returns them. */
export type Im2colLib = ReturnType<typeof im2colCore>;

/** This thread's im2col classes. */
export const IM2COL: Im2colLib = im2colCore(CORE);

/** A sliding window over a zero-padded copy of one image (see `im2colCore`). */
export const Im2col = IM2COL.Im2col;
/** An instance of `Im2col`. */
export type Im2col = InstanceType<typeof Im2col>;
/** B = the im2col matrix of a window's current group. */
export const Im2colB = IM2COL.Im2colB;
/** B = the transposed im2col matrix of a window's current group. */
export const Im2colTB = IM2COL.Im2colTB;
