import type {
  Backend,
  BufferInfo,
  Executable,
  Expr,
  HostTensor,
  Plan,
  TypedArray,
} from "@loom/graph";
import { allocTyped, castNumber, checkFeeds, executableCache, LoomError, numel } from "@loom/graph";
import type { EvalEnv } from "./eval-expr";
import { compileExpr } from "./eval-expr";
import type { LibraryKernels } from "./kernels/kernel";
import { kernelFor } from "./kernels/kernel";
import { REFERENCE_KERNELS } from "./kernels/reference";

/** Iterates a concrete shape's multi-index in row-major order, calling `body` with the flat offset. */
export const forEachIndex = (
  shape: readonly number[],
  idx: Int32Array,
  body: (flat: number) => void,
): void => {
  const n = numel(shape);
  idx.fill(0);
  for (let flat = 0; flat < n; flat++) {
    body(flat);
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++idx[a]! < shape[a]!) break;
      idx[a] = 0;
    }
  }
};

/** Writes a constant buffer's values (one value is a splat), converted as a store would. */
export const fillConstant = (b: BufferInfo, dst: TypedArray): void => {
  const d = b.data!;
  if (d.length === 1) dst.fill(castNumber(d[0]!, "float64", b.dtype));
  else d.forEach((v, i) => (dst[i] = castNumber(v, "float64", b.dtype)));
};

type Step = (bufs: TypedArray[], env: EvalEnv) => void;

/** Prepares one kernel: its expression compiled to closures once, run on every call. */
const prepareKernel = (plan: Plan, k: Plan["kernels"][number], kernels: LibraryKernels): Step => {
  const dtype = plan.buffers[k.out]!.dtype;
  if (k.shape.length > 8) throw new LoomError("unsupported", "interpret", "tensors of rank > 8");
  const elementwise = (expr: Expr, inputs: readonly number[], withOut: boolean): Step => {
    const f = compileExpr(expr);
    return (bufs, env) => {
      const out = bufs[k.out]!;
      env.bufs = withOut ? [out, ...inputs.map((i) => bufs[i]!)] : inputs.map((i) => bufs[i]!);
      forEachIndex(k.shape, env.idx, (flat) => (out[flat] = castNumber(f(env), dtype, dtype)));
    };
  };
  if (k.kind === "expr") return elementwise(k.expr, k.inputs, false);
  const impl = kernelFor(kernels, k.call.kind);
  const inShapes = k.inputShapes ?? k.inputs.map((i) => plan.buffers[i]!.shape);
  const epilogue = k.epilogue && elementwise(k.epilogue.expr, k.epilogue.inputs, true);
  return (bufs, env) => {
    impl({
      inputs: k.inputs.map((i) => bufs[i]!),
      inShapes,
      out: bufs[k.out]!,
      outShape: k.shape,
      call: k.call,
    });
    epilogue?.(bufs, env);
  };
};

/**
 * Prepares a plan for the reference interpreter: kernel by kernel on freshly allocated typed
 * arrays, the trusted reference that every optimisation is tested against. Clear over fast.
 */
export const interpretPlan = (
  plan: Plan,
  kernels: LibraryKernels = REFERENCE_KERNELS,
): ((feeds: Readonly<Record<string, HostTensor>>) => Record<string, HostTensor>) => {
  const steps = plan.kernels.map((k) => prepareKernel(plan, k, kernels));
  return (feeds) => {
    checkFeeds(plan, feeds);
    const bufs: TypedArray[] = plan.buffers.map((b) => allocTyped(b.dtype, numel(b.shape)));
    for (const [name, id] of Object.entries(plan.inputs)) bufs[id]!.set(feeds[name]!.data);
    for (const b of plan.buffers) {
      if (b.kind === "constant") fillConstant(b, bufs[b.id]!);
    }
    const env: EvalEnv = { idx: new Int32Array(8), vars: new Int32Array(8), bufs: [] };
    for (const step of steps) step(bufs, env);
    return Object.fromEntries(
      Object.entries(plan.outputs).map(([name, id]) => {
        const b = plan.buffers[id]!;
        return [name, { data: bufs[id]!.slice(), shape: b.shape, dtype: b.dtype }];
      }),
    );
  };
};

/** The reference backend: runs any plan kernel by kernel with the closure evaluator and naive library kernels. */
export const referenceBackend = (): Backend => {
  const executables = executableCache();
  return {
    name: "reference",
    compile: (plan): Executable => {
      const run = interpretPlan(plan);
      return { run: async (feeds) => run(feeds), dispose: () => {} };
    },
    executables,
    dispose: () => executables.clear(),
  };
};
