import type { MatmulCall } from "@loom/graph";
import { glslInt as I } from "../render-glsl";
import { loader } from "../shader-frame";
import type { TiledGenerator } from "./tiled";
import { passShader } from "./tiled";

/** Output rows per fragment of the product pass (each an RGBA render target: MRT). */
const ROWS = 4;
/** Below this many multiply-adds the three extra draws cost more than tiling saves (measured on SwiftShader). */
const MIN_MACS = 32768;

/**
 * Register-tiled matmul, in three draws and the frame. (1) A is packed into RGBA32F rows of
 * four consecutive k (`Ap[b*Mpad + i, q] = A[b, i, 4q..4q+3]`), (2) B transposed likewise
 * (`Bp[b*Npad + j, q] = B[b, 4q..4q+3, j]`): both read the operands through their strides, so
 * every transposition variant becomes one layout, zero-padded to whole texels and blocks. (3)
 * Each fragment of the product computes a block of 4 rows x 4 columns: per step of four k it
 * fetches 4 texels of A and 4 of B and does 4 vec4-by-mat4 products (64 multiply-adds for 8
 * fetches; the one-element kernel fetched twice per multiply-add), writing row r of its block
 * to render target r at texel `(j/4, b*Mr + i/4)`. The frame reads element `(b, i, j)` from
 * target `i % 4`, component `j % 4`, and applies the epilogue. Packed textures address
 * `ivec2(k/4, row)`: no division in the inner loop.
 */
export const matmulTiled: TiledGenerator<MatmulCall> = ({
  inShapes,
  outShape,
  call,
  inputs,
  frameUnits,
  limits,
}) => {
  const r = outShape.length;
  const M = outShape[r - 2]!;
  const N = outShape[r - 1]!;
  const K = inShapes[0]![call.transA ? r - 2 : r - 1]!;
  const batch = outShape.slice(0, r - 2).reduce((a, d) => a * d, 1);
  const Kq = Math.ceil(K / 4);
  const Mr = Math.ceil(M / ROWS);
  const Mpad = Mr * ROWS;
  const Nq = Math.ceil(N / 4);
  const Npad = Nq * 4;
  const fits =
    Math.max(Kq, Nq) <= limits.maxSize &&
    batch * Math.max(Mpad, Npad) <= limits.maxSize &&
    frameUnits + ROWS <= limits.maxSamplers &&
    inputs.every((b) => b.dtype === "float32") &&
    K > 0;
  const worth = limits.mode === "always" || batch * M * N * K >= MIN_MACS;
  if (limits.mode === "never" || !fits || !worth) return undefined;
  // Strides of the row and inner indices of each operand, as stored.
  const [ai, ap] = call.transA ? [1, M] : [K, 1];
  const [bp, bj] = call.transB ? [1, K] : [N, 1];
  const pack = (
    input: number,
    rows: number,
    pad: number,
    base: string,
    rowStride: number,
    kStride: number,
  ) =>
    passShader(
      1,
      1,
      loader(0, inputs[input]!),
      `  int b = c.y / ${I(pad)};
  int i = c.y - b * ${I(pad)};
  vec4 v = vec4(0.0);
  if (i < ${I(rows)}) {
    int o = b * ${base} + i * ${I(rowStride)} + c.x * ${I(4 * kStride)};
    for (int t = 0; t < 4; t++) if (c.x * 4 + t < ${I(K)}) v[t] = ld0(o + t * ${I(kStride)});
  }
  o0 = v;`,
    );
  const rows = Array.from({ length: ROWS }, (_, t) => t);
  const product = passShader(
    2,
    ROWS,
    "",
    `  int b = c.y / ${I(Mr)};
  int ar = b * ${I(Mpad)} + (c.y - b * ${I(Mr)}) * ${I(ROWS)};
  int br = b * ${I(Npad)} + c.x * 4;
${rows.map((t) => `  vec4 acc${t} = vec4(0.0);`).join("\n")}
  for (int q = 0; q < ${I(Kq)}; q++) {
    mat4 bm = mat4(texelFetch(u1, ivec2(q, br), 0), texelFetch(u1, ivec2(q, br + 1), 0), texelFetch(u1, ivec2(q, br + 2), 0), texelFetch(u1, ivec2(q, br + 3), 0));
${rows.map((t) => `    acc${t} += texelFetch(u0, ivec2(q, ar + ${t}), 0) * bm;`).join("\n")}
  }
${rows.map((t) => `  o${t} = acc${t};`).join("\n")}`,
  );
  const fetch = (t: number) => `texelFetch(u${I(frameUnits + t)}, at, 0)`;
  const pick = rows
    .slice(0, -1)
    .reduceRight((rest, t) => `t == ${t} ? ${fetch(t)} : ${rest}`, fetch(ROWS - 1));
  return {
    scratch: [
      { width: Kq, height: batch * Mpad },
      { width: Kq, height: batch * Npad },
      ...rows.map(() => ({ width: Nq, height: batch * Mr })),
    ],
    passes: [
      {
        source: pack(0, M, Mpad, I(M * K), ai, ap),
        reads: [{ kind: "input", index: 0 }],
        writes: [0],
      },
      {
        source: pack(1, N, Npad, I(K * N), bj, bp),
        reads: [{ kind: "input", index: 1 }],
        writes: [1],
      },
      {
        source: product,
        reads: [
          { kind: "scratch", index: 0 },
          { kind: "scratch", index: 1 },
        ],
        writes: rows.map((t) => 2 + t),
      },
    ],
    frameScratch: rows.map((t) => 2 + t),
    functions: `float lib(int pos) {
  int j = pos % ${I(N)};
  int i = (pos / ${I(N)}) % ${I(M)};
  int b = pos / ${I(M * N)};
  ivec2 at = ivec2(j >> 2, b * ${I(Mr)} + (i >> 2));
  int t = i & 3;
  vec4 v = ${pick};
  return v[j & 3];
}`,
  };
};
