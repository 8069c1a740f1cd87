import type { Backend, Executable, Expr, HostTensor, Plan, TypedArray } from "@loom/graph";
import {
  hostDeviceTensor,
  hostResidentRun,
  allocTyped,
  checkFeeds,
  DTYPE_BYTES,
  executableCache,
  LoomError,
  numel,
  threefry2x32,
} from "@loom/graph";
import { renderKernel } from "./codegen";
import { fillConstant, forEachIndex } from "./interpreter";
import { compileExpr } from "./eval-expr";
import { makeFastKernels } from "./kernels";
import { kernelFor } from "./kernels/kernel";
import { kernelPool } from "./kernels/parallel";
import { sourceCache } from "./source-cache";

type KernelFn = (b: readonly TypedArray[], tf: typeof threefry2x32) => void;

/** Options of the CPU backend. */
export interface CpuBackendOptions {
  /** Generate JS per kernel with `new Function` (default: when the page's Content-Security-Policy allows it). */
  readonly codegen?: boolean;
  /** Adds each kernel's run time (ms) to `profile[k]`, for finding the slow kernels of a plan. */
  readonly profile?: number[];
  /**
   * Threads the matmul and convolution kernels may use, this one included (default: one per
   * core in Node, where worker threads exist); 1 keeps every kernel on the calling thread.
   */
  readonly threads?: number;
  /** Matmul and convolutions on WebAssembly SIMD where available (default true); false keeps the JS kernels. */
  readonly wasm?: boolean;
  /** Relaxed SIMD fused multiply-adds where available (default false: the same bits on every machine). */
  readonly relaxedSimd?: boolean;
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

/** Generated kernel functions a backend keeps, by source (least recently used dropped first). */
const KERNEL_SOURCES = 4096;

/**
 * The optimising CPU backend: each fused kernel becomes a JS function (generated once and
 * cached by its source), matmul/convolution/pooling run hand-written kernels, and all
 * buffers live in one arena allocated when the plan is compiled, at the offsets the memory
 * planner chose. Running allocates nothing but the returned outputs. The instance owns its
 * state: the executable cache `compile` uses, the generated functions, the library kernels'
 * scratch and the worker threads; `dispose()` frees them all (the workers are closed).
 */
export const cpuBackend = (opts: CpuBackendOptions = {}): Backend => {
  const codegen = opts.codegen ?? canEval();
  const functions = sourceCache<KernelFn>(KERNEL_SOURCES);
  const pool = kernelPool();
  const fast = makeFastKernels({
    threads: opts.threads,
    pool,
    wasm: opts.wasm,
    relaxedSimd: opts.relaxedSimd,
  });
  const executables = executableCache();
  const kernelFn = (expr: Expr, shape: readonly number[], inputs: number): KernelFn =>
    codegen
      ? functions.get(
          renderKernel(expr, shape, inputs),
          (src) => new Function("b", "tf", src) as KernelFn,
        )
      : closureKernel(expr, shape);
  const compile = (plan: Plan): Executable => {
    const arena = plan.arenaBytes !== undefined ? new ArrayBuffer(plan.arenaBytes) : undefined;
    const inputIds = new Set(Object.values(plan.inputs));
    // With a memory plan, the outputs kernels write have no slot: each run writes them into
    // fresh arrays that go to the caller as they are (no copy out of the arena).
    const fresh = new Set(
      arena === undefined
        ? []
        : Object.values(plan.outputs).filter((id) => plan.buffers[id]!.kind === "temp"),
    );
    const empty = allocTyped("float32", 0);
    const views: TypedArray[] = plan.buffers.map((b) => {
      const n = numel(b.shape);
      // Inputs are read from the feeds; a conversion buffer is made on the first feed that needs one.
      if (inputIds.has(b.id) || fresh.has(b.id)) return empty;
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

    // Every kernel argument that names an input or a fresh output is patched at the start of
    // each run (argument lists are arrays; a library call's `out` is a field). Kernels never
    // write inputs: nothing is planned in place over a graph input.
    const current: TypedArray[] = [...views];
    const patches: ((cur: readonly TypedArray[]) => void)[] = [];
    const patched = (id: number) => inputIds.has(id) || fresh.has(id);
    const args = (ids: readonly number[]): TypedArray[] => {
      const list = ids.map((i) => views[i]!);
      ids.forEach((id, j) => {
        if (patched(id)) patches.push((cur) => (list[j] = cur[id]!));
      });
      return list;
    };
    const steps = plan.kernels.map((k): (() => void) => {
      if (k.kind === "expr") {
        const f = kernelFn(k.expr, k.shape, k.inputs.length);
        const b = args([k.out, ...k.inputs]);
        return () => f(b, threefry2x32);
      }
      const impl = kernelFor(fast, k.call.kind);
      const call = {
        inputs: args(k.inputs),
        inShapes: k.inputShapes ?? k.inputs.map((i) => plan.buffers[i]!.shape),
        out: views[k.out]!,
        outShape: k.shape,
        call: k.call,
      };
      if (patched(k.out)) patches.push((cur) => (call.out = cur[k.out]!));
      if (k.epilogue === undefined) return () => impl(call);
      const epi = kernelFn(k.epilogue.expr, k.shape, k.epilogue.inputs.length + 1);
      const b = args([k.out, k.out, ...k.epilogue.inputs]);
      return () => {
        impl(call);
        epi(b, threefry2x32);
      };
    });
    const inputs = Object.entries(plan.inputs);
    const arrayClass = plan.buffers.map((b) => allocTyped(b.dtype, 0).constructor);
    const outputs = Object.entries(plan.outputs);
    let disposed = false;
    const run = (feeds: Readonly<Record<string, HostTensor>>): Record<string, HostTensor> => {
      if (disposed)
        throw new LoomError(
          "invalid_argument",
          "cpu",
          "this executable was disposed; compile the plan again to run it",
        );
      checkFeeds(plan, feeds);
      for (const [name, id] of inputs) {
        const data = feeds[name]!.data;
        const b = plan.buffers[id]!;
        // A feed of another array class than the buffer's (e.g. float64 data for float32) is copied.
        if (data.constructor === arrayClass[id]) current[id] = data;
        else {
          if (views[id]!.length !== data.length) views[id] = allocTyped(b.dtype, data.length);
          views[id]!.set(data);
          current[id] = views[id]!;
        }
      }
      for (const id of fresh)
        current[id] = allocTyped(plan.buffers[id]!.dtype, numel(plan.buffers[id]!.shape));
      for (const p of patches) p(current);
      const prof = opts.profile;
      if (prof === undefined) for (const s of steps) s();
      else {
        steps.forEach((s, k) => {
          const t0 = performance.now();
          s();
          prof[k] = (prof[k] ?? 0) + performance.now() - t0;
        });
      }
      const given = new Set<number>();
      // Built with fromEntries: an output named "__proto__" is an own property, not a prototype.
      return Object.fromEntries(
        outputs.map(([name, id]) => {
          const b = plan.buffers[id]!;
          // A fresh output goes out as it is, once; anything else (an input, a constant, a
          // buffer of an unplanned executable, a second name for one buffer) is copied.
          const data = fresh.has(id) && !given.has(id) ? current[id]! : current[id]!.slice();
          given.add(id);
          return [name, { data, shape: b.shape, dtype: b.dtype }];
        }),
      );
    };
    const exe: Executable = {
      run: async (feeds) => run(feeds),
      // Drops the arena and the buffers so they can be collected even while the executable
      // object is still referenced; running it again is a LoomError.
      dispose: () => {
        disposed = true;
        views.length = 0;
        current.length = 0;
        steps.length = 0;
      },
    };
    // The host is this backend's device: resident runs use device feeds in place.
    return { ...exe, runResident: hostResidentRun(exe, name) };
  };
  const name = codegen ? "cpu" : "cpu-closures";
  return {
    name,
    compile,
    // A copy: the caller may go on writing into the array it uploaded.
    upload: (t) => hostDeviceTensor({ ...t, data: t.data.slice() }, name),
    executables,
    dispose: () => {
      executables.clear();
      functions.clear();
      pool.close();
    },
  };
};
