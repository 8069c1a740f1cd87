import type { Graph, Kernel, Plan } from "@loom/graph";
import { kernelLayers, kernelReads, printExpr, rawBytes } from "@loom/graph";
import { renderKernel } from "@loom/backend-cpu";
import { glslOfPlan } from "@loom/backend-webgl";
import type { KernelInfo, KernelIo } from "./types";

/** A buffer as a kernel's input or output: shape, dtype and bytes. */
const io = (plan: Plan, buffer: number): KernelIo => {
  const b = plan.buffers[buffer]!;
  return { buffer, shape: b.shape, dtype: b.dtype, bytes: rawBytes(b) };
};

/** The kernel-IR expression and generated JS of a kernel (a library kernel's epilogue). */
const sources = (k: Kernel): { expr?: string; js?: string } => {
  if (k.kind === "expr")
    return { expr: printExpr(k.expr), js: renderKernel(k.expr, k.shape, k.inputs.length) };
  if (k.epilogue === undefined) return {};
  return {
    expr: `${k.call.kind}(…) then ${printExpr(k.epilogue.expr)}`,
    js: renderKernel(k.epilogue.expr, k.shape, k.epilogue.inputs.length + 1),
  };
};

/** Each kernel's shader, or none when the WebGL renderer cannot take the plan (kept inspectable). */
const shaders = (plan: Plan): readonly (string | undefined)[] => {
  try {
    return glslOfPlan(plan);
  } catch {
    return [];
  }
};

/**
 * Every kernel of a plan lowered from `g`: the nodes it absorbed and their layers, its IR and
 * generated sources, its inputs and output, and its measured time when `ms` is given.
 */
export const kernelInfos = (g: Graph, plan: Plan, ms?: readonly number[]): KernelInfo[] => {
  const layers = kernelLayers(g, plan.kernels);
  const glsl = shaders(plan);
  return plan.kernels.map((k, id) => ({
    id,
    kind: k.kind === "expr" ? "expr" : k.call.kind,
    nodes: k.nodes,
    layers: layers[id]!,
    ...sources(k),
    ...(glsl[id] === undefined ? {} : { glsl: glsl[id] }),
    inputs: kernelReads(k).map((b) => io(plan, b)),
    output: io(plan, k.out),
    ...(ms?.[id] === undefined ? {} : { ms: ms[id] }),
  }));
};
