import { LoomError } from "@loom/graph";
import { glslInt as I } from "../render-glsl";
import type { ScratchTexture, TiledKernel, TilingLimits } from "./tiled";
import { passShader } from "./tiled";

/** Output rows per fragment of the product pass (each an RGBA render target: MRT). */
export const ROWS = 4;
/**
 * The most steps of four k one fragment loops over (and the most partial products the frame
 * sums): longer reductions are split into partial GEMMs, so no fragment runs long enough to
 * trip a GPU watchdog.
 */
export const MAX_STEPS = 512;

/**
 * How a pack pass reads one GEMM operand: from the op's input `input` (bound at unit 0 and
 * read by `loader`'s `ld0`), `row` GLSL statements run once per fragment (ints `b` and `i`,
 * the operand's row, in scope: index arithmetic shared by the fragment's four k) and `at`
 * statements setting `float e` to the element at int `k`.
 */
export interface GemmOperand {
  readonly input: number;
  readonly loader: string;
  readonly row: string;
  readonly at: string;
}

/**
 * A GEMM `out[b, i, j] = sum_k A(b, i, k) * B(b, j, k)` in the operands' own layouts, and
 * the frame's `lib(pos)` calling `prod(b, i, j)`.
 */
export interface GemmSpec {
  readonly batch: number;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly a: GemmOperand;
  readonly b: GemmOperand;
  readonly lib: string;
}

/** A logical `[rows, width]` RGBA matrix folded into a texture: `fold` side-by-side bands of `height` rows. */
export interface Folded {
  readonly rows: number;
  readonly width: number;
  readonly fold: number;
  readonly height: number;
}

/** Folds `rows` rows of `width` texels into at most `max` rows, bands a multiple of 4 rows high; undefined if too wide. */
export const folded = (rows: number, width: number, max: number): Folded | undefined => {
  const fold = Math.ceil(rows / Math.floor(max / ROWS) / ROWS);
  const height = Math.ceil(rows / fold / ROWS) * ROWS;
  if (fold === 1) return { rows, width, fold, height: rows };
  return width * fold <= max && height <= max ? { rows, width, fold, height } : undefined;
};

/** GLSL `ivec2` of logical texel `(col, row)` of a folded matrix (row and col are rendered ints). */
export const texel = (f: Folded, row: string, col: string): string =>
  f.fold === 1
    ? `ivec2(${col}, ${row})`
    : `ivec2((${row}) / ${I(f.height)} * ${I(f.width)} + (${col}), (${row}) % ${I(f.height)})`;

/** GLSL declaring `row` and `col`, the logical texel of fragment `c` in a folded matrix. */
export const fragmentOf = (f: Folded): string =>
  f.fold === 1
    ? "  int row = c.y;\n  int col = c.x;"
    : `  int band = c.x / ${I(f.width)};
  int col = c.x - band * ${I(f.width)};
  int row = band * ${I(f.height)} + c.y;`;

/** The texture size of a folded matrix. */
export const size = (f: Folded) => ({ width: f.width * f.fold, height: f.height });

/**
 * The pack pass of a GEMM operand: RGBA rows of four consecutive k of `rows` logical rows,
 * zero-padded to `pad` rows per batch entry; batch entry `g` is partial product `g % S` of
 * batch `g / S`, covering k from `(g % S) * Kc`.
 */
export const packPass = (
  f: Folded,
  pad: number,
  rows: number,
  op: GemmOperand,
  split: { readonly S: number; readonly Kc: number; readonly K: number },
): string =>
  passShader(
    1,
    1,
    op.loader,
    `${fragmentOf(f)}
  int g = row / ${I(pad)};
  int i = row - g * ${I(pad)};
  int b = g / ${I(split.S)};
  int k0 = (g - b * ${I(split.S)}) * ${I(split.Kc)} + col * 4;
  vec4 v = vec4(0.0);
  if (row < ${I(f.rows)} && i < ${I(rows)}) {
    ${op.row}
    for (int t = 0; t < 4; t++) {
      int k = k0 + t;
      if (col * 4 + t >= ${I(split.Kc)} || k >= ${I(split.K)}) break;
      float e = 0.0;
      ${op.at}
      v[t] = e;
    }
  }
  o0 = v;`,
  );

/**
 * GLSL `float prod(int b, int i, int j)`: element `(i, j)` of batch `b` of a product whose
 * `ROWS` render targets (sampled from unit `unit0`) hold `Mr` blocks of rows per partial
 * product, summing its `S` partial products.
 */
export const prodFunction = (fp: Folded, Mr: number, S: number, unit0: number): string => {
  const fetch = (t: number) => `texelFetch(u${I(unit0 + t)}, at, 0)`;
  const pick = Array.from({ length: ROWS - 1 }, (_, t) => t).reduceRight(
    (rest, t) => `t == ${t} ? ${fetch(t)} : ${rest}`,
    fetch(ROWS - 1),
  );
  return `float prod(int b, int i, int j) {
  float acc = 0.0;
  for (int s = 0; s < ${I(S)}; s++) {
    int g = b * ${I(S)} + s;
    ivec2 at = ${texel(fp, `g * ${I(Mr)} + (i >> 2)`, "j >> 2")};
    int t = i & 3;
    vec4 v = ${pick};
    acc += v[j & 3];
  }
  return acc;
}`;
};

/** One pack pass of a GEMM kernel: its shader, the op input it reads, the size of the texture it fills. */
export interface PackDraw {
  readonly source: string;
  readonly input: number;
  readonly size: ScratchTexture;
}

/**
 * A GEMM's draws as a tiled kernel: two pack passes into scratch 0 and 1, the `product`
 * (reading both) into the `ROWS` render targets after them, which the frame's `functions` sample.
 */
export const gemmKernel = (
  packs: readonly [PackDraw, PackDraw],
  product: string,
  fp: Folded,
  functions: string,
): TiledKernel => {
  const rs = Array.from({ length: ROWS }, (_, t) => 2 + t);
  return {
    scratch: [packs[0].size, packs[1].size, ...rs.map(() => size(fp))],
    passes: [
      ...packs.map((p, k) => ({
        source: p.source,
        reads: [{ kind: "input" as const, index: p.input }],
        writes: [k],
      })),
      {
        source: product,
        reads: [
          { kind: "scratch", index: 0 },
          { kind: "scratch", index: 1 },
        ],
        writes: rs,
      },
    ],
    frameScratch: rs,
    functions,
  };
};

/** Throws when a generated loop would run more than `MAX_STEPS` times per fragment (a generator bug: callers split first). */
export const assertSteps = (op: string, steps: number): void => {
  if (steps > MAX_STEPS)
    throw new LoomError("invalid_graph", op, `a fragment would loop ${steps} > ${MAX_STEPS} times`);
};

/**
 * Register-tiled GEMM in three draws and the frame (the design follows tfjs-webgl's packed
 * matmul, with blocks of 4x4 instead of 2x2). (1) A is packed into RGBA32F rows of four
 * consecutive k, (2) B likewise with its rows the output columns: the pack passes read the
 * operands through their `GemmOperand`s, so transposed, strided or im2col operands all become one
 * layout, zero-padded to whole texels and blocks. (3) Each fragment of the product computes 4
 * output rows x 4 columns: per four k it fetches 4 texels of A and 4 of B and does 4
 * vec4-by-mat4 products (64 multiply-adds per 8 fetches), writing row r of its block to
 * render target r. Reductions longer than `MAX_STEPS` texels are split into `S` partial
 * GEMMs (a batch dimension of their own) that the frame's `prod` sums. Matrices with more
 * rows than a texture holds are folded into side-by-side bands. Packed textures are
 * addressed `ivec2(k/4, row)`: no division in the inner loop.
 */
export const gemmTiled = (
  g: GemmSpec,
  frameUnits: number,
  limits: TilingLimits,
): TiledKernel | undefined => {
  const { M, N, K } = g;
  const S = Math.ceil(Math.ceil(K / 4) / MAX_STEPS);
  const Kc = Math.ceil(K / S / 4) * 4;
  const Kq = Kc / 4;
  const B = g.batch * S;
  const Mr = Math.ceil(M / ROWS);
  const Mpad = Mr * ROWS;
  const Nq = Math.ceil(N / 4);
  const Npad = Nq * 4;
  if (K === 0 || S > MAX_STEPS || frameUnits + ROWS > limits.maxSamplers) return undefined;
  const fa = folded(B * Mpad, Kq, limits.maxSize);
  const fb = folded(B * Npad, Kq, limits.maxSize);
  const fp = folded(B * Mr, Nq, limits.maxSize);
  if (fa === undefined || fb === undefined || fp === undefined) return undefined;
  assertSteps("gemm", Kq);
  const split = { S, Kc, K };
  const rs = Array.from({ length: ROWS }, (_, t) => t);
  const product = passShader(
    2,
    ROWS,
    "",
    `${fragmentOf(fp)}
  int g = row / ${I(Mr)};
  int ar = g * ${I(Mpad)} + (row - g * ${I(Mr)}) * ${I(ROWS)};
  int br = g * ${I(Npad)} + col * 4;
  ivec2 a0 = ${texel(fa, "ar", "0")};
  ivec2 b0 = ${texel(fb, "br", "0")};
${rs.map((t) => `  vec4 acc${t} = vec4(0.0);`).join("\n")}
  for (int q = 0; q < ${I(Kq)}; q++) {
    mat4 bm = mat4(${rs.map((t) => `texelFetch(u1, b0 + ivec2(q, ${t}), 0)`).join(", ")});
${rs.map((t) => `    acc${t} += texelFetch(u0, a0 + ivec2(q, ${t}), 0) * bm;`).join("\n")}
  }
${rs.map((t) => `  o${t} = acc${t};`).join("\n")}`,
  );
  return gemmKernel(
    [
      { source: packPass(fa, Mpad, M, g.a, split), input: g.a.input, size: size(fa) },
      { source: packPass(fb, Npad, N, g.b, split), input: g.b.input, size: size(fb) },
    ],
    product,
    fp,
    `${prodFunction(fp, Mr, S, frameUnits)}\n${g.lib}`,
  );
};
