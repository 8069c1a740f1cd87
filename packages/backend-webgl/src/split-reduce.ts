import type { Expr } from "@loom/graph";
import { alu, cnst, iadd, imul, int, rewriteExpr as replace } from "@loom/graph";
import { renderExpr } from "./glsl-expr";
import { helpersFor } from "./glsl-helpers";
import type { TiledKernel } from "./kernels/tiled";
import { passShader } from "./kernels/tiled";
import { glslInt as I } from "./render-glsl";
import type { ShaderBuffer } from "./shader-frame";
import { loader } from "./shader-frame";
import { textureLayout, type TextureLayout } from "./texture";

/**
 * The most loop iterations one fragment of a reduction runs (and the most partial results a
 * frame combines): longer reductions are split in two passes, so no fragment runs long
 * enough to trip a GPU watchdog (a column sum of `[70000, 64]` looped 70000 times).
 */
export const MAX_REDUCE = 4096;

type Reduce = Extract<Expr, { kind: "reduce" }>;

const extentOf = (r: Reduce): number => r.vars.reduce((p, v) => p * v.extent, 1);

/** Every reduction of `e` not inside another one (the ones whose loops a fragment runs at top level). */
const outerReduces = (e: Expr): Reduce[] =>
  e.kind === "reduce"
    ? [e]
    : e.kind === "load"
      ? outerReduces(e.at)
      : e.kind === "alu"
        ? e.args.flatMap(outerReduces)
        : [];

/** The largest loop variable id in `e`. */
const maxVar = (e: Expr): number =>
  e.kind === "var"
    ? e.id
    : e.kind === "load"
      ? maxVar(e.at)
      : e.kind === "alu"
        ? Math.max(-1, ...e.args.map(maxVar))
        : e.kind === "reduce"
          ? Math.max(maxVar(e.body), ...e.vars.map((v) => v.id))
          : -1;

const loopVar = (id: number): Expr => ({ kind: "var", id, dtype: "int32" });

/** The flat row-major output index as an expression of the output axes. */
const flatIndex = (shape: readonly number[]): Expr =>
  shape.reduce<{ e: Expr; stride: number }>(
    (acc, d, a) => {
      const axis = shape.length - 1 - a;
      const term = imul({ kind: "index", axis, dtype: "int32" }, int(acc.stride));
      return { e: iadd(acc.e, term), stride: acc.stride * shape[axis]! };
    },
    { e: int(0), stride: 1 },
  ).e;

/** What `splitReduce` returns: the partial pass (as a tiled kernel's prepass) and the frame's expression and extra input. */
export interface SplitReduce {
  readonly tiled: TiledKernel;
  /** The kernel's expression with the long reduction replaced by a reduction over the partial results (load `inputs.length`). */
  readonly expr: Expr;
  /** The partial results, read by the frame as one more input. */
  readonly partial: ShaderBuffer;
}

/**
 * Splits a float32 reduction of more than `MAX_REDUCE` elements (the one outermost long
 * reduction of an expression kernel): a prepass computes `S` partial reductions per output
 * element, each over a chunk of the reduction's first loop variable (fragment `(pos, s)` of an
 * RGBA32F texture, value in `.r`), and the kernel's own frame combines the `S` partials in
 * place of the reduction. Undefined when there is nothing to split or it does not fit (one
 * more sampler, integer inputs, first variable too short to bound the loop).
 */
export const splitReduce = (
  expr: Expr,
  inputs: readonly ShaderBuffer[],
  shape: readonly number[],
  outputIndex: (shape: readonly number[], used: (axis: number) => boolean) => string[],
  limits: { readonly maxSize: number; readonly maxSamplers: number },
): SplitReduce | undefined => {
  const long = outerReduces(expr).filter((r) => extentOf(r) > MAX_REDUCE);
  if (long.length !== 1 || inputs.length + 1 > limits.maxSamplers) return undefined;
  const r = long[0]!;
  if (r.dtype !== "float32" || inputs.some((b) => b.dtype !== "float32")) return undefined;
  const [first, ...rest] = r.vars;
  const inner = rest.reduce((p, v) => p * v.extent, 1);
  const chunk = Math.floor(MAX_REDUCE / inner);
  const S = Math.ceil(first!.extent / Math.max(chunk, 1));
  if (chunk === 0 || S > MAX_REDUCE) return undefined;
  const n = shape.reduce((p, d) => p * d, 1) * S;
  const layout: TextureLayout = textureLayout(n, 4096, limits.maxSize);
  const s = maxVar(expr) + 1;
  const u = s + 1;
  const at = iadd(imul(loopVar(s), int(chunk)), loopVar(u));
  // A ragged last chunk: sums add 0 past the end, maxima repeat the last element.
  const last = first!.extent - 1;
  const inRange = (b: Expr): Expr =>
    first!.extent % chunk === 0
      ? b
      : r.op === "sum"
        ? alu("where", [alu("le", [at, int(last)], "bool"), b, cnst(0, "float32")])
        : b;
  const index =
    first!.extent % chunk === 0 || r.op === "sum" ? at : alu("min", [at, int(last)], "int32");
  const partialExpr: Reduce = {
    ...r,
    vars: [{ id: u, extent: chunk }, ...rest],
    body: inRange(
      replace(r.body, (e) => (e.kind === "var" && e.id === first!.id ? index : undefined)),
    ),
  };
  const rendered = renderExpr(partialExpr, (k, a) => `ld${I(k)}(${a})`);
  const code = [...rendered.stmts, rendered.value].join("\n");
  const used = (a: number) => new RegExp(`\\bx${a}\\b`).test(code);
  const loaders = inputs.map((b, k) => loader(k, b)).join("\n");
  const source = passShader(
    inputs.length,
    1,
    `${helpersFor(code)}\n${loaders}`,
    `  int q = c.y * ${I(layout.width)} + c.x;
  if (q >= ${I(n)}) { o0 = vec4(0.0); return; }
  int pos = q / ${I(S)};
  int v${I(s)} = q - pos * ${I(S)};
${outputIndex(shape, used)
  .map((l) => `  ${l}`)
  .join("\n")}
${rendered.stmts.map((l) => `  ${l}`).join("\n")}
  o0 = vec4(${rendered.value}, 0.0, 0.0, 0.0);`,
  );
  const t = s + 2;
  const combined: Reduce = {
    kind: "reduce",
    op: r.op,
    vars: [{ id: t, extent: S }],
    body: {
      kind: "load",
      input: inputs.length,
      at: iadd(imul(flatIndex(shape), int(S)), loopVar(t)),
      dtype: "float32",
    },
    dtype: "float32",
  };
  return {
    tiled: {
      scratch: [{ width: layout.width, height: layout.height }],
      passes: [
        {
          source,
          reads: inputs.map((_, k) => ({ kind: "input", index: k })),
          writes: [0],
        },
      ],
      frameScratch: [0],
      functions: "",
    },
    expr: replace(expr, (e) => (e === r ? combined : undefined)),
    partial: { dtype: "float32", layout },
  };
};
