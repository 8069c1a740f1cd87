import type { ConvGeometry } from "../window";
import type { WasmGemm } from "./wasm-gemm";
import { roundUp } from "./wasm-gemm";
import { NR } from "./gemm-wat";

/**
 * The implicit-GEMM layout of one convolution call in the WebAssembly module's memory: the
 * batch of images copied once into a zero-bordered buffer (so that no window reads outside it
 * and the movers in conv-wat.ts need no bounds tests), and two offset tables over it. Tap r =
 * (c, kh, kw) of group gi is at byte offset `taps[gi*Rp + r]` from a window's origin; window s =
 * (n, oh, ow), over the whole batch, has its origin at byte address `wins[s]`. Folding the
 * batch into the windows makes one GEMM per group, wide enough to amortise the packing of the
 * weights even for LeNet's 8x8 and 10x10 outputs.
 */

/** The sizes of a convolution, per channel group. */
export interface ConvSizes {
  readonly N: number;
  /** Channels of the image, of a group's input, and output channels of a group. */
  readonly C: number;
  readonly I: number;
  readonly Og: number;
  readonly G: number;
  readonly H: number;
  readonly W: number;
  readonly KH: number;
  readonly KW: number;
  readonly Ho: number;
  readonly Wo: number;
}

/** Where a call's padded images and offset tables are in the module's memory. */
export interface ConvPlan {
  /** Float address of the `[N, C, Hp, Wp]` padded images. */
  readonly img: number;
  readonly Hp: number;
  readonly Wp: number;
  /** Taps per group, `I*KH*KW`, and that rounded up to whole panels (the tables' group stride). */
  readonly R: number;
  readonly Rp: number;
  /** Windows of the batch, `N*Ho*Wo`. */
  readonly NS: number;
  /** Byte addresses of the i32 tables: tap offsets and their panel flags, window origins and theirs. */
  readonly taps: number;
  readonly tapFlags: number;
  readonly wins: number;
  readonly winFlags: number;
}

/** The exports of conv-wat.ts that lay out the tables. */
interface TableExports {
  readonly grid: (...args: readonly number[]) => void;
  readonly flags: (tab: number, n: number, out: number) => void;
}

/**
 * Fills the table at float address `at` with the byte offsets `base + i*si + j*sj + k*sk` over
 * the `ni x nj x nk` grid (the taps (c, kh, kw) or the windows (n, oh, ow)), pads it to whole
 * panels with its first entry, and writes its panels' kinds at `flagsAt`.
 */
const table = (
  g: WasmGemm,
  at: number,
  flagsAt: number,
  base: number,
  [ni, nj, nk]: readonly [number, number, number],
  [si, sj, sk]: readonly [number, number, number],
): void => {
  const ex = g.exports as unknown as TableExports;
  const n = ni * nj * nk;
  ex.grid(4 * at, base, ni, nj, nk, si, sj, sk);
  const v = new Int32Array(g.f32.buffer, 4 * at, roundUp(n, NR));
  v.fill(v[0]!, n);
  ex.flags(4 * at, n, 4 * flagsAt);
};

/** Allocates the padded images and fills the tables (the images' contents are the caller's). */
export const planConv = (g: WasmGemm, z: ConvSizes, geo: ConvGeometry): ConvPlan => {
  const { sh, sw, pt, pl, dh, dw } = geo;
  const Hp = Math.max(pt + z.H, (z.Ho - 1) * sh + (z.KH - 1) * dh + 1);
  const Wp = Math.max(pl + z.W, (z.Wo - 1) * sw + (z.KW - 1) * dw + 1);
  const plane = Hp * Wp;
  const [R, NS] = [z.I * z.KH * z.KW, z.N * z.Ho * z.Wo];
  const Rp = roundUp(R, NR);
  const NSp = roundUp(NS, NR);
  const img = g.alloc(z.N * z.C * plane);
  const taps = g.alloc(z.G * Rp);
  const tapFlags = g.alloc((z.G * Rp) / NR);
  const wins = g.alloc(NSp);
  const winFlags = g.alloc(NSp / NR);
  for (let gi = 0; gi < z.G; gi++) {
    const [at, flagsAt] = [taps + gi * Rp, tapFlags + (gi * Rp) / NR];
    const steps = [4 * plane, 4 * dh * Wp, 4 * dw] as const;
    table(g, at, flagsAt, 4 * gi * z.I * plane, [z.I, z.KH, z.KW], steps);
  }
  const steps = [4 * z.C * plane, 4 * sh * Wp, 4 * sw] as const;
  table(g, wins, winFlags, 4 * img, [z.N, z.Ho, z.Wo], steps);
  return {
    img,
    Hp,
    Wp,
    R,
    Rp,
    NS,
    taps: 4 * taps,
    tapFlags: 4 * tapFlags,
    wins: 4 * wins,
    winFlags: 4 * winFlags,
  };
};

/**
 * Copies `[N, C, H, W]` images between `x` and the plan's padded buffer: `into` the buffer
 * (zeroing its border first), or out of it without the border.
 */
export const copyImages = (
  g: WasmGemm,
  z: ConvSizes,
  p: ConvPlan,
  geo: ConvGeometry,
  x: Float32Array,
  into: boolean,
): void => {
  const f = g.f32;
  const { H, W } = z;
  const { Hp, Wp } = p;
  const images = z.N * z.C;
  if (into && (Hp !== H || Wp !== W)) f.fill(0, p.img, p.img + images * Hp * Wp);
  for (let i = 0; i < images; i++) {
    for (let h = 0; h < H; h++) {
      const src = (i * H + h) * W;
      const dst = p.img + (i * Hp + h + geo.pt) * Wp + geo.pl;
      if (into) f.set(x.subarray(src, src + W), dst);
      else x.set(f.subarray(dst, dst + W), src);
    }
  }
};

/**
 * Copies the `[N, M, S]` slice of a conv output or its gradient (image n at `n*nStride`: M of
 * its channels) to or from the channel-major `[M, N*S]` matrix at float address `at` (row
 * stride `ld`) that the folded GEMMs read and write.
 */
export const transposeBatch = (
  f: Float32Array,
  at: number,
  ld: number,
  t: Float32Array,
  [N, M, S, nStride]: readonly [number, number, number, number],
  toModule: boolean,
): void => {
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < M; o++) {
      const [src, dst] = [n * nStride + o * S, at + o * ld + n * S];
      if (toModule) f.set(t.subarray(src, src + S), dst);
      else t.set(f.subarray(dst, dst + S), src);
    }
  }
};
