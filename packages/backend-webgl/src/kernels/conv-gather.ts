import { glslInt as I } from "../render-glsl";
import type { GemmOperand } from "./gemm";
import {
  assertSteps,
  folded,
  gemmKernel,
  fragmentOf,
  MAX_STEPS,
  packPass,
  prodFunction,
  ROWS,
  size,
} from "./gemm";
import type { TiledKernel, TilingLimits } from "./tiled";
import { passShader } from "./tiled";

/**
 * Where output coordinate `o` reads, for tap `k`, along one axis: virtual coordinate
 * `v = o * a + k * b + c`, which is source coordinate `v / d` when `d` divides it and that lies
 * in `[0, size)`, else a zero (padding; the holes of a strided input gradient).
 */
export interface LinearTap {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly size: number;
}

/** The virtual coordinates `[lo, hi]` a tap reaches for outputs `0..outs-1` and taps `0..taps-1`. */
const reach = (t: LinearTap, outs: number, taps: number): readonly [number, number] => {
  const ends = [0, outs - 1].flatMap((o) => [0, taps - 1].map((k) => o * t.a + k * t.b + t.c));
  return [Math.min(...ends), Math.max(...ends)];
};

/**
 * A convolution-shaped GEMM whose A operand is a window gather: `out[m, j] = sum over taps
 * (kh, kw) and source channels ch of src[n, ch, tapY(p, kh), tapX(q, kw)] * weight(j, ch,
 * kh, kw)`, rows `m = (n, p, q)` of `N x P x Q`, zero where a tap falls outside the source.
 * The forward convolution (src = x) and the input gradient (src = dy, taps mirrored) are both.
 */
export interface GatherGemmSpec {
  readonly N: number;
  readonly P: number;
  readonly Q: number;
  readonly J: number;
  readonly KH: number;
  readonly KW: number;
  /** The gathered tensor `[N, C, H, W]`, input `input` of the op, read by `loader`'s `ld0`. */
  readonly src: {
    readonly input: number;
    readonly loader: string;
    readonly C: number;
    readonly H: number;
    readonly W: number;
  };
  readonly tapY: LinearTap;
  readonly tapX: LinearTap;
  /** The weights: `at` sets `float e` from ints `i` (the column j), `ch`, `kh`, `kw`. */
  readonly weight: Omit<GemmOperand, "row">;
  /** The frame's `lib(pos)`, calling `prod(0, m, j)`. */
  readonly lib: string;
}

/**
 * What a product step costs, in im2col pack fragments, measured on SwiftShader (LeNet-5 at
 * batch 64, both variants in one page): the GEMM's step 0.25, the gather's 0.45 (its fragments
 * also walk the taps).
 */
const GEMM_STEP = 0.25;
const GATHER_STEP = 0.45;

/** The estimated cost (in pack fragments) of the gather GEMM of `g`, for choosing it over the im2col GEMM. */
export const gatherCost = (g: GatherGemmSpec): number => {
  const Cq = Math.ceil(g.src.C / 4);
  const [y0, y1] = reach(g.tapY, g.P, g.KH);
  const [x0, x1] = reach(g.tapX, g.Q, g.KW);
  const blocks = Math.ceil((g.N * g.P * g.Q) / ROWS) * Math.ceil(g.J / 4);
  return g.N * (y1 - y0 + 1) * (x1 - x0 + 1) * Cq + blocks * g.KH * g.KW * Cq * GATHER_STEP;
};

/** The estimated cost of an im2col GEMM `[M, K] x [K, J]` (its A pack pass and product). */
export const im2colCost = (M: number, K: number, J: number): number => {
  const Kq = Math.ceil(K / 4);
  return M * Kq + Math.ceil(M / ROWS) * Math.ceil(J / 4) * Kq * GEMM_STEP;
};

/** GLSL setting `int <name>` to the source coordinate of virtual coordinate `v` and `ok` false where it is a zero. */
const sourceOf = (t: LinearTap, v: string, name: string): string =>
  t.d === 1
    ? `int ${name} = ${v}; ok = ok && ${name} >= 0 && ${name} < ${I(t.size)};`
    : `int ${name} = ${v} / ${I(t.d)}; ok = ok && ${v} >= 0 && ${name} * ${I(t.d)} == ${v} && ${name} < ${I(t.size)};`;

/**
 * The window gather as a tiled GEMM without an im2col pass. (1) The source is packed once
 * into RGBA texels of four consecutive channels over the virtual coordinates the taps reach
 * (zero padding and the holes of a strided input gradient written out as zeros), laid out
 * `((vx - lo) * Cq + cq, n * VH + vy - lo)`: about as many fragments as source elements / 4,
 * where an im2col pack has one per four window taps of every output position. (2) The
 * weights are packed as rows `j` of texels over steps `s = (kh * KW + kw) * Cq + cq`. (3) Each
 * product fragment computes 4 rows x 4 columns: a tap moves all four rows' source texels by
 * the same offset, so the loop over taps and channel quads has no bounds test and no
 * division, fetching 4 texels of each operand for 4 vec4-by-mat4 products as the GEMM's
 * product does. More than `MAX_STEPS` steps split the channel quads into partial products
 * the frame sums.
 */
export const gatherGemm = (
  g: GatherGemmSpec,
  frameUnits: number,
  limits: TilingLimits,
): TiledKernel | undefined => {
  const { N, P, Q, J, KH, KW, tapY, tapX } = g;
  const { C } = g.src;
  const taps = KH * KW;
  const Cq = Math.ceil(C / 4);
  const Cc = Math.min(Cq, Math.floor(MAX_STEPS / taps));
  if (Cc === 0 || frameUnits + ROWS > limits.maxSamplers) return undefined;
  const S = Math.ceil(Cq / Cc);
  const M = N * P * Q;
  const Mr = Math.ceil(M / ROWS);
  const Jq = Math.ceil(J / 4);
  const [y0, y1] = reach(tapY, P, KH);
  const [x0, x1] = reach(tapX, Q, KW);
  const VH = y1 - y0 + 1;
  const VW = x1 - x0 + 1;
  const fq = folded(N * VH, VW * Cq, limits.maxSize);
  const fb = folded(Jq * 4, taps * Cq, limits.maxSize);
  const fp = folded(S * Mr, Jq, limits.maxSize);
  if (fq?.fold !== 1 || fb?.fold !== 1 || fp === undefined) return undefined;
  assertSteps("conv gather", taps * Cc);
  const rs = Array.from({ length: ROWS }, (_, r) => r);
  const each = (f: (r: number) => string) => rs.map(f).join("\n");
  const packSource = passShader(
    1,
    1,
    g.src.loader,
    `  int n = c.y / ${I(VH)};
  int vy = c.y - n * ${I(VH)} + ${I(y0)};
  int vx = c.x / ${I(Cq)} + ${I(x0)};
  int cq = c.x % ${I(Cq)};
  bool ok = true;
  ${sourceOf(tapY, "vy", "y")}
  ${sourceOf(tapX, "vx", "x")}
  vec4 v = vec4(0.0);
  if (ok) {
    for (int t = 0; t < 4; t++) {
      int ch = cq * 4 + t;
      if (ch >= ${I(C)}) break;
      v[t] = ld0(((n * ${I(C)} + ch) * ${I(g.src.H)} + y) * ${I(g.src.W)} + x);
    }
  }
  o0 = v;`,
  );
  const weight: GemmOperand = {
    ...g.weight,
    row: "",
    at: `int ch = k % ${I(Cq * 4)};
      int tap = k / ${I(Cq * 4)};
      int kh = tap / ${I(KW)};
      int kw = tap - kh * ${I(KW)};
      if (ch < ${I(C)}) { ${g.weight.at} }`,
  };
  const K = taps * Cq * 4;
  const partial = S === 1 || Cq % Cc === 0 ? "" : `if (c0 + cq >= ${I(Cq)}) break;`;
  // Rows past M (the last block's padding) read row M-1: their results are never sampled.
  const product = passShader(
    2,
    ROWS,
    "",
    `${fragmentOf(fp)}
  int g = row / ${I(Mr)};
  int c0 = g * ${I(Cc)};
  int mb = (row - g * ${I(Mr)}) * ${I(ROWS)};
${each(
  (r) => `  int m${r} = min(mb + ${r}, ${I(M - 1)});
  int n${r} = m${r} / ${I(P * Q)};
  int p${r} = (m${r} / ${I(Q)}) % ${I(P)};
  int q${r} = m${r} % ${I(Q)};
  ivec2 a${r} = ivec2((q${r} * ${I(tapX.a)} + ${I(tapX.c - x0)}) * ${I(Cq)} + c0, n${r} * ${I(VH)} + p${r} * ${I(tapY.a)} + ${I(tapY.c - y0)});
  vec4 acc${r} = vec4(0.0);`,
)}
  for (int kh = 0; kh < ${I(KH)}; kh++) {
    for (int kw = 0; kw < ${I(KW)}; kw++) {
      ivec2 d = ivec2(kw * ${I(tapX.b * Cq)}, kh * ${I(tapY.b)});
      int s0 = (kh * ${I(KW)} + kw) * ${I(Cq)} + c0;
      for (int cq = 0; cq < ${I(Cc)}; cq++) {
        ${partial}
        mat4 bm = mat4(${rs.map((t) => `texelFetch(u1, ivec2(s0 + cq, col * 4 + ${t}), 0)`).join(", ")});
${each((r) => `        acc${r} += texelFetch(u0, a${r} + d + ivec2(cq, 0), 0) * bm;`)}
      }
    }
  }
${each((r) => `  o${r} = acc${r};`)}`,
  );
  return gemmKernel(
    [
      { source: packSource, input: g.src.input, size: size(fq) },
      {
        source: packPass(fb, Jq * 4, J, weight, { S: 1, Kc: K, K }),
        input: g.weight.input,
        size: size(fb),
      },
    ],
    product,
    fp,
    `${prodFunction(fp, Mr, S, frameUnits)}\n${g.lib}`,
  );
};
