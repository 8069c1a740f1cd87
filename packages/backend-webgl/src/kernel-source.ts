import type { DType, Expr, LibraryKernel, Plan } from "@loom/graph";
import { numel } from "@loom/graph";
import { renderExpr } from "./glsl-expr";
import { helpersFor } from "./glsl-helpers";
import { glslKernelFor } from "./kernels";
import { glslInt, glslType } from "./render-glsl";
import { kernelReads } from "./texture-pool";
import type { TextureLayout } from "./texture";
import { texelOf, textureLayout } from "./texture";

/** A texture a shader reads or writes: its dtype and layout. */
export interface ShaderBuffer {
  readonly dtype: DType;
  readonly layout: TextureLayout;
}

/** The vertex shader of every kernel: one triangle covering the viewport, with no vertex buffers. */
export const VERTEX_SHADER = `#version 300 es
void main() {
  gl_Position = vec4(float((gl_VertexID & 1) << 2) - 1.0, float((gl_VertexID & 2) << 1) - 1.0, 0.0, 1.0);
}`;

/** GLSL `ldK(int i)`: input K's element at flat index i, as a value of its dtype. */
const loader = (k: number, b: ShaderBuffer): string => {
  const texel = `texelFetch(u${k}, ${texelOf(b.layout, "i")}, 0).r`;
  const value = b.dtype === "bool" ? `${texel} != 0` : texel;
  return `${glslType(b.dtype)} ld${k}(int i) { return ${value}; }`;
};

/** GLSL declaring `x0, x1, ...`, the output multi-index of flat `pos` (only the axes `used`). */
const outputIndex = (shape: readonly number[], used: (axis: number) => boolean): string[] => {
  const lines: string[] = [];
  let stride = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    if (used(a)) {
      const div = stride === 1 ? "pos" : `(pos / ${glslInt(stride)})`;
      lines.push(`int x${a} = ${a === 0 ? div : `${div} % ${glslInt(shape[a]!)}`};`);
    }
    stride *= shape[a]!;
  }
  return lines.reverse();
};

/**
 * A complete fragment shader: one fragment per output element. The element's flat index
 * `pos` comes from gl_FragCoord (row-major texels of the output's layout); fragments past the
 * last element (the tail of the last row) store 0 and stop. `functions` and `stmts` compute
 * `value`, which is stored with the output's dtype (bools as 0/1).
 */
export const fragmentShader = (
  inputs: readonly ShaderBuffer[],
  out: ShaderBuffer,
  shape: readonly number[],
  functions: string,
  stmts: readonly string[],
  value: string,
): string => {
  const body = [...stmts, value].join("\n");
  const outType = out.dtype === "float32" ? "float" : "int";
  const store = out.dtype === "bool" ? `(${value}) ? 1 : 0` : value;
  const loaders = inputs.map((b, k) => loader(k, b)).join("\n");
  const used = (a: number) => new RegExp(`\\bx${a}\\b`).test(`${functions}\n${body}`);
  return [
    "#version 300 es",
    "precision highp float;",
    "precision highp int;",
    "precision highp sampler2D;",
    "precision highp isampler2D;",
    ...inputs.map((b, k) => `uniform ${b.dtype === "float32" ? "sampler2D" : "isampler2D"} u${k};`),
    `layout(location = 0) out highp ${outType} o;`,
    helpersFor(`${functions}\n${body}`),
    loaders,
    functions,
    "void main() {",
    `  int pos = int(gl_FragCoord.y) * ${glslInt(out.layout.width)} + int(gl_FragCoord.x);`,
    `  if (pos >= ${glslInt(out.layout.n)}) { o = ${outType === "float" ? "0.0" : "0"}; return; }`,
    ...outputIndex(shape, used).map((l) => `  ${l}`),
    ...stmts.map((s) => `  ${s}`),
    `  o = ${store};`,
    "}",
  ]
    .filter((l) => l !== "")
    .join("\n");
};

/** The fragment shader of an expression kernel: `out[i] = expr(i)`, input k sampled by unit k. */
export const exprKernelSource = (
  expr: Expr,
  inputs: readonly ShaderBuffer[],
  out: ShaderBuffer,
  shape: readonly number[],
): string => {
  const { stmts, value } = renderExpr(expr, (k, at) => `ld${glslInt(k)}(${at})`);
  return fragmentShader(inputs, out, shape, "", stmts, value);
};

/**
 * The fragment shader of a library kernel: the op's `lib(pos)` from GLSL_KERNELS, then its
 * epilogue (load 0 is the accumulated value, load k epilogue input k-1, sampled after the
 * op's own inputs). Without an epilogue the accumulated value is stored as it is.
 */
export const libraryKernelSource = (
  k: LibraryKernel,
  inShapes: readonly (readonly number[])[],
  inputs: readonly ShaderBuffer[],
  out: ShaderBuffer,
): string => {
  const functions = glslKernelFor(k.call.kind)({ inShapes, outShape: k.shape, call: k.call });
  const own = k.inputs.length;
  const epi =
    k.epilogue === undefined
      ? { stmts: [], value: "acc" }
      : renderExpr(k.epilogue.expr, (j, at) =>
          j === 0 ? "acc" : `ld${glslInt(own + j - 1)}(${at})`,
        );
  return fragmentShader(
    inputs,
    out,
    k.shape,
    functions,
    ["float acc = lib(pos);", ...epi.stmts],
    epi.value,
  );
};

/**
 * The fragment shader of every kernel of a plan, in order, for buffers laid out by `layouts`
 * (input k of a kernel is sampled by texture unit k: the op's inputs, then its epilogue's).
 */
export const planShaders = (plan: Plan, layouts: readonly TextureLayout[]): string[] => {
  const buffer = (b: number): ShaderBuffer => ({
    dtype: plan.buffers[b]!.dtype,
    layout: layouts[b]!,
  });
  return plan.kernels.map((k) => {
    const ins = kernelReads(k).map(buffer);
    return k.kind === "expr"
      ? exprKernelSource(k.expr, ins, buffer(k.out), k.shape)
      : libraryKernelSource(
          k,
          k.inputShapes ?? k.inputs.map((b) => plan.buffers[b]!.shape),
          ins,
          buffer(k.out),
        );
  });
};

/** The GLSL a WebGL backend with rows of `maxTextureWidth` texels runs for each kernel of a plan, for inspection. */
export const glslOfPlan = (plan: Plan, maxTextureWidth = 4096): string[] =>
  planShaders(
    plan,
    plan.buffers.map((b) => textureLayout(numel(b.shape), maxTextureWidth, Infinity)),
  );
