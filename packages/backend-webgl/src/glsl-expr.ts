import type { Dialect, Expr, RenderedExpr } from "@loom/graph";
import { LoomError, walkExpr } from "@loom/graph";
import { glslConst, glslInt, glslType, RENDER_GLSL } from "./render-glsl";

/** Renders a load of input `k` at a rendered flat int index (the shader's `ldK`, or an epilogue's accumulator). */
export type RenderLoad = (input: number, at: string) => string;

export type { RenderedExpr };

/**
 * The GLSL dialect of the expression walker, reading input k through `load`: typed
 * temporaries, `int` loop counters with constant bounds, and a max that keeps NaN (as the
 * CPU's `r !== r`) through `l_isnan`. GPUs have no bool accumulator, so bool reductions are
 * refused.
 */
const glslDialect = (load: RenderLoad): Dialect => ({
  alu: RENDER_GLSL,
  constant: glslConst,
  index: (axis) => `x${glslInt(axis)}`,
  variable: (id) => `v${glslInt(id)}`,
  load,
  temp: (name, code, dtype) => `${glslType(dtype)} ${name} = ${code};`,
  reduce: {
    // An empty int max stores -Infinity on the CPU, which an Int32Array holds as 0.
    known: (e) =>
      e.op === "max" && e.dtype === "int32" && e.vars.some((v) => v.extent === 0) ? "0" : undefined,
    init: (acc, e) => {
      const type = glslType(e.dtype);
      if (type === "bool")
        throw new LoomError("unsupported", `reduce_${e.op}`, "cannot reduce bool values");
      const identity =
        e.op === "sum"
          ? type === "int"
            ? "0"
            : "0.0"
          : type === "int"
            ? glslInt(-2147483648)
            : "(-l_inf())";
      return `${type} ${acc} = ${identity};`;
    },
    update: (acc, value, e, fresh) => {
      const r = fresh("r");
      if (e.op === "sum") return `${acc} += ${value};`;
      if (e.dtype === "int32") return `${acc} = max(${acc}, ${value});`;
      return `{ float ${r} = ${value}; if (${r} > ${acc} || l_isnan(${r})) ${acc} = ${r}; }`;
    },
    loop: (v, extent, body) => `for (int ${v} = 0; ${v} < ${glslInt(extent)}; ${v}++) { ${body} }`,
  },
});

/**
 * Renders a kernel-IR expression to GLSL statements and a value with the shared walker
 * (`walkExpr`): output axis `a` is `xa`, loop variable `id` is `vid`, and only numbers and
 * generated names reach the source.
 */
export const renderExpr = (expr: Expr, load: RenderLoad): RenderedExpr =>
  walkExpr(expr, glslDialect(load));
