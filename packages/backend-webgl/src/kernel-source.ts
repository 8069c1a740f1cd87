import type { Expr, LibraryKernel, Plan } from "@loom/graph";
import { numel } from "@loom/graph";
import { renderExpr } from "./glsl-expr";
import { helpersFor } from "./glsl-helpers";
import { glslKernelFor, tiledKernelFor } from "./kernels";
import type { TiledKernel, TilingLimits } from "./kernels/tiled";
import { glslInt } from "./render-glsl";
import { kernelReads } from "./texture-pool";
import type { TextureLayout } from "./texture";
import { textureLayout } from "./texture";
import type { ShaderBuffer } from "./shader-frame";
import { loader, samplerDecl, SHADER_HEADER } from "./shader-frame";
import { splitReduce } from "./split-reduce";

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
 * `value`, which is stored with the output's dtype (bools as 0/1). A tiled kernel's frame also
 * samples `scratchUnits` RGBA32F textures, at the units after the inputs'.
 */
export const fragmentShader = (
  inputs: readonly ShaderBuffer[],
  out: ShaderBuffer,
  shape: readonly number[],
  functions: string,
  stmts: readonly string[],
  value: string,
  scratchUnits = 0,
): string => {
  const body = [...stmts, value].join("\n");
  const outType = out.dtype === "float32" ? "float" : "int";
  const store = out.dtype === "bool" ? `(${value}) ? 1 : 0` : value;
  const loaders = inputs.map((b, k) => loader(k, b)).join("\n");
  const used = (a: number) => new RegExp(`\\bx${a}\\b`).test(`${functions}\n${body}`);
  return [
    ...SHADER_HEADER,
    ...inputs.map((b, k) => samplerDecl(k, b.dtype)),
    ...Array.from({ length: scratchUnits }, (_, r) => samplerDecl(inputs.length + r, "float32")),
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

/** The shaders of one kernel: its frame, the samplers the frame uses, and a tiled kernel's prepasses. */
export interface KernelShaders {
  readonly frame: string;
  readonly samplers: number;
  readonly tiled: TiledKernel | undefined;
}

/**
 * The shaders of a library kernel: the op's `lib(pos)` (from its tiled generator when that
 * fits and pays, else from GLSL_KERNELS), then its epilogue (load 0 is the accumulated value,
 * load k epilogue input k-1, sampled after the op's own inputs). Without an epilogue the
 * accumulated value is stored as it is.
 */
export const libraryKernelShaders = (
  k: LibraryKernel,
  inShapes: readonly (readonly number[])[],
  inputs: readonly ShaderBuffer[],
  out: ShaderBuffer,
  limits: TilingLimits,
): KernelShaders => {
  const args = { inShapes, outShape: k.shape, call: k.call };
  const tiled = tiledKernelFor(k.call.kind)?.({
    ...args,
    inputs: inputs.slice(0, k.inputs.length),
    frameUnits: inputs.length,
    limits,
  } as never);
  const functions = tiled?.functions ?? glslKernelFor(k.call.kind)(args);
  const own = k.inputs.length;
  const epi =
    k.epilogue === undefined
      ? { stmts: [], value: "acc" }
      : renderExpr(k.epilogue.expr, (j, at) =>
          j === 0 ? "acc" : `ld${glslInt(own + j - 1)}(${at})`,
        );
  const scratchUnits = tiled?.frameScratch.length ?? 0;
  const frame = fragmentShader(
    inputs,
    out,
    k.shape,
    functions,
    ["float acc = lib(pos);", ...epi.stmts],
    epi.value,
    scratchUnits,
  );
  return { frame, samplers: inputs.length + scratchUnits, tiled };
};

/**
 * The shaders of every kernel of a plan, in order, for buffers laid out by `layouts` (input
 * k of a kernel is sampled by texture unit k: the op's inputs, then its epilogue's).
 */
export const planShaders = (
  plan: Plan,
  layouts: readonly TextureLayout[],
  limits: TilingLimits,
): KernelShaders[] => {
  const buffer = (b: number): ShaderBuffer => ({
    dtype: plan.buffers[b]!.dtype,
    layout: layouts[b]!,
  });
  return plan.kernels.map((k) => {
    const ins = kernelReads(k).map(buffer);
    if (k.kind === "expr") {
      // A long reduction runs as partial reductions (a prepass) combined by the frame.
      const split = splitReduce(k.expr, ins, k.shape, outputIndex, limits);
      return split === undefined
        ? {
            frame: exprKernelSource(k.expr, ins, buffer(k.out), k.shape),
            samplers: ins.length,
            tiled: undefined,
          }
        : {
            frame: exprKernelSource(split.expr, [...ins, split.partial], buffer(k.out), k.shape),
            samplers: ins.length + 1,
            tiled: split.tiled,
          };
    }
    return libraryKernelShaders(
      k,
      k.inputShapes ?? k.inputs.map((b) => plan.buffers[b]!.shape),
      ins,
      buffer(k.out),
      limits,
    );
  });
};

/** The GLSL a WebGL backend with rows of `maxTextureWidth` texels runs for each kernel of a plan (a tiled kernel's prepasses first), for inspection. */
export const glslOfPlan = (plan: Plan, maxTextureWidth = 4096): string[] =>
  planShaders(
    plan,
    plan.buffers.map((b) => textureLayout(numel(b.shape), maxTextureWidth, Infinity)),
    { maxSize: 16384, maxSamplers: 16, mode: "auto" },
  ).map((s) => [...(s.tiled?.passes.map((p) => p.source) ?? []), s.frame].join("\n\n"));
