import type { Backend, Executable, Expr, HostTensor, Plan, TypedArray } from "@loom/graph";
import { allocTyped, DTYPE_BYTES, LoomError, numel, threefry2x32 } from "@loom/graph";
import { renderKernel } from "./codegen";
import { checkFeeds, fillConstant, forEachIndex } from "./interpreter";
import { compileExpr } from "./eval-expr";
import { FAST_KERNELS } from "./kernels";
import type { LibraryKernelImpl } from "./kernels/kernel";
import { REFERENCE_KERNELS } from "./kernels/reference";

type KernelFn = (b: readonly TypedArray[], tf: typeof threefry2x32) => void;

/** Options of the CPU backend. */
export interface CpuBackendOptions {
  /** Generate JS per kernel with `new Function` (default: when the page's Content-Security-Policy allows it). */
  readonly codegen?: boolean;
  /** Adds each kernel's run time (ms) to `profile[k]`, for finding the slow kernels of a plan. */
  readonly profile?: number[];
}

const canEval = (): boolean => {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
};

/** A kernel as closures over the reference evaluator: the fallback where `new Function` is forbidden. */
const closureKernel = (expr: Expr, shape: readonly number[]): KernelFn => {
  const f = compileExpr(expr);
  const env = {
    idx: new Int32Array(8),
    vars: new Int32Array(8),
    bufs: [] as readonly TypedArray[],
  };
  return (b) => {
    const out = b[0]!;
    env.bufs = b.slice(1);
    forEachIndex(shape, env.idx, (flat) => (out[flat] = f(env)));
  };
};

/**
 * The optimising CPU backend: each fused kernel becomes a JS function (generated once and
 * cached by its source), matmul/convolution/pooling run hand-written kernels, and all
 * buffers live in one arena allocated when the plan is compiled, at the offsets the memory
 * planner chose. Running allocates nothing but the returned outputs.
 */
export const cpuBackend = (opts: CpuBackendOptions = {}): Backend => {
  const codegen = opts.codegen ?? canEval();
  const cache = new Map<string, KernelFn>();
  const kernelFn = (expr: Expr, shape: readonly number[], inputs: number): KernelFn => {
    if (!codegen) return closureKernel(expr, shape);
    const src = renderKernel(expr, shape, inputs);
    let f = cache.get(src);
    if (f === undefined) {
      f = new Function("b", "tf", src) as KernelFn;
      cache.set(src, f);
    }
    return f;
  };
  const library = (name: string): LibraryKernelImpl => {
    const impl = FAST_KERNELS[name] ?? REFERENCE_KERNELS[name];
    if (impl === undefined)
      throw new LoomError("unsupported", name, "no CPU kernel for this library op");
    return impl;
  };
  const compile = (plan: Plan): Executable => {
    const arena = plan.arenaBytes !== undefined ? new ArrayBuffer(plan.arenaBytes) : undefined;
    const views: TypedArray[] = plan.buffers.map((b) => {
      const n = numel(b.shape);
      if (arena === undefined || b.slot === undefined) return allocTyped(b.dtype, n);
      const at = b.slot;
      switch (b.dtype) {
        case "float32":
          return new Float32Array(arena, at, n);
        case "float64":
          return new Float64Array(arena, at, n);
        case "int32":
          return new Int32Array(arena, at, n);
        case "bool":
          return new Uint8Array(arena, at, n * DTYPE_BYTES.bool);
      }
    });
    for (const b of plan.buffers) if (b.kind === "constant") fillConstant(b, views[b.id]!);

    // Graph inputs are read straight from the caller's arrays (no copy into the arena): every
    // kernel argument list that names an input is patched at the start of each run. Kernels
    // never write inputs (an in-place output goes to the arena slot, not to the feed).
    const inputIds = new Set(Object.values(plan.inputs));
    const patches: { list: TypedArray[]; at: number; id: number }[] = [];
    const args = (ids: readonly number[], lead: TypedArray[] = []): TypedArray[] => {
      const list = [...lead, ...ids.map((i) => views[i]!)];
      ids.forEach((id, j) => {
        if (inputIds.has(id)) patches.push({ list, at: lead.length + j, id });
      });
      return list;
    };
    const steps = plan.kernels.map((k): (() => void) => {
      if (k.kind === "expr") {
        const f = kernelFn(k.expr, k.shape, k.inputs.length);
        const b = args(k.inputs, [views[k.out]!]);
        return () => f(b, threefry2x32);
      }
      const impl = library(k.name);
      const call = {
        inputs: args(k.inputs),
        inShapes: k.inputShapes ?? k.inputs.map((i) => plan.buffers[i]!.shape),
        out: views[k.out]!,
        outShape: k.shape,
        attrs: k.attrs,
      };
      if (k.epilogue === undefined) return () => impl(call);
      const epi = kernelFn(k.epilogue.expr, k.shape, k.epilogue.inputs.length + 1);
      const b = args(k.epilogue.inputs, [views[k.out]!, views[k.out]!]);
      return () => {
        impl(call);
        epi(b, threefry2x32);
      };
    });
    const inputs = Object.entries(plan.inputs);
    const outputs = Object.entries(plan.outputs);
    const current: TypedArray[] = [...views];
    const run = (feeds: Readonly<Record<string, HostTensor>>): Record<string, HostTensor> => {
      checkFeeds(plan, feeds);
      for (const [name, id] of inputs) {
        const data = feeds[name]!.data;
        // A feed of another array class than the buffer's (e.g. float64 data for float32) is copied.
        if (data.constructor === views[id]!.constructor) current[id] = data;
        else {
          views[id]!.set(data);
          current[id] = views[id]!;
        }
      }
      for (const p of patches) p.list[p.at] = current[p.id]!;
      const prof = opts.profile;
      if (prof === undefined) for (const s of steps) s();
      else {
        steps.forEach((s, k) => {
          const t0 = performance.now();
          s();
          prof[k] = (prof[k] ?? 0) + performance.now() - t0;
        });
      }
      const out: Record<string, HostTensor> = {};
      for (const [name, id] of outputs) {
        const b = plan.buffers[id]!;
        out[name] = { data: current[id]!.slice(), shape: b.shape, dtype: b.dtype };
      }
      return out;
    };
    return { run: async (feeds) => run(feeds), dispose: () => cache.clear() };
  };
  return { name: codegen ? "cpu" : "cpu-closures", compile, dispose: () => cache.clear() };
};
