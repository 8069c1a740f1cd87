import * as backendCpu from "@loom/backend-cpu";
import type { Backend, DeviceTensor, HostTensor } from "@loom/graph";
import type { CompileOptions, Tree } from "@loom/ops";
import type { Tensor } from "@loom/ops";
import {
  compile,
  conv2d,
  disposeTree,
  hostTensor,
  key,
  matmul,
  mul,
  optim,
  planGraph,
  sum,
  toDevice,
  trace,
  valueAndGrad,
} from "@loom/ops";
import { specsOf, trainStep } from "@loom/models/browser";
import type {
  BenchCase,
  CaseData,
  CompileSpec,
  ConvSpec,
  ForwardSpec,
  Impl,
  Runner,
  StepData,
  StepSpec,
} from "./cases";
import { convOutSize, dataOf, forwardModel, IMAGE_SHAPE, modelOf } from "./cases";
import type { TimingOptions } from "./stats";

/** A loom CPU backend to benchmark, and how the bench treats it. */
export type LoomBackendEntry = {
  readonly impl: string;
  readonly make: () => Backend;
  /** The pipeline that backend is meant to run behind (default: compile's own). */
  readonly options?: CompileOptions;
  /** The reference interpreter: small cases only, few runs. */
  readonly slow: boolean;
};

/**
 * The loom CPU backends present in a @loom/backend-cpu module: the optimised `cpuBackend`
 * when the module exports it ("loom-cpu", "loom-cpu-1t" on one thread, "loom-cpu-js" without WebAssembly), and always the reference interpreter
 * ("loom-reference"). Detected at run time so the bench runs before and after it lands.
 */
export const loomBackends = (mod: object = backendCpu): LoomBackendEntry[] => {
  const entries: LoomBackendEntry[] = [];
  if ("cpuBackend" in mod && typeof mod.cpuBackend === "function") {
    const make = mod.cpuBackend as (opts?: { threads?: number; wasm?: boolean }) => Backend;
    entries.push({ impl: "loom-cpu", make: () => make(), slow: false });
    // One thread, for a per-thread comparison with tfjs-wasm (which runs one in Node).
    entries.push({ impl: "loom-cpu-1t", make: () => make({ threads: 1 }), slow: false });
    // The JS kernels (no WebAssembly), as on runtimes without WebAssembly SIMD.
    entries.push({ impl: "loom-cpu-js", make: () => make({ wasm: false }), slow: false });
  }
  entries.push({ impl: "loom-reference", make: backendCpu.referenceBackend, slow: true });
  return entries;
};

/** Compiles a case for a backend: the runner the timing loop calls. */
type Prepare<Spec> = (
  backend: Backend,
  opts: CompileOptions | undefined,
  spec: Spec,
  data: CaseData,
) => Promise<Runner>;

const f32 = (data: Float32Array, shape: readonly number[]): HostTensor =>
  hostTensor(data, [...shape]);

const matmulRunner: Prepare<number> = async (backend, opts, n, data) => {
  const { a, b } = dataOf(data, "matmul");
  const f = compile(
    backend,
    (io) => ({ c: matmul(io.a, io.b) }),
    {
      a: { shape: [n, n] },
      b: { shape: [n, n] },
    },
    opts,
  );
  const feeds = { a: f32(a, [n, n]), b: f32(b, [n, n]) };
  return { run: async () => void (await f.run(feeds)), dispose: f.dispose };
};

const convRunner: Prepare<ConvSpec> = async (backend, opts, s, data) => {
  const { x, w, dy } = dataOf(data, "conv2d");
  const xs = [s.batch, s.inChannels, s.size, s.size];
  const ws = [s.filters, s.inChannels, s.kernel, s.kernel];
  const ys = [s.batch, s.filters, convOutSize(s), convOutSize(s)];
  const y = (a: Tensor, b: Tensor) => conv2d(a, b, { padding: s.padding });
  // With grads: the output and both gradients of <y, dy>, all read back (a layer's training work).
  const withGrads = (io: Record<"x" | "w" | "dy", Tensor>) => ({
    y: y(io.x, io.w),
    ...valueAndGrad((p: { x: Tensor; w: Tensor }) => sum(mul(y(p.x, p.w), io.dy)))({
      x: io.x,
      w: io.w,
    }).grad,
  });
  const run = s.grads
    ? compile(backend, withGrads, { x: { shape: xs }, w: { shape: ws }, dy: { shape: ys } }, opts)
    : compile(
        backend,
        (io) => ({ y: y(io.x, io.w) }),
        { x: { shape: xs }, w: { shape: ws } },
        opts,
      );
  const base = { x: f32(x, xs), w: f32(w, ws) };
  const feeds = s.grads ? { ...base, dy: f32(dy, ys) } : base;
  const f = { run: (t: typeof feeds) => run.run(t as never), dispose: run.dispose };
  return { run: async () => void (await f.run(feeds)), dispose: f.dispose };
};

/** The variables a training step threads from one call to the next. */
type StepVars = {
  readonly params: Tree<HostTensor>;
  readonly state: Tree<HostTensor>;
  readonly optState: Tree<HostTensor>;
};

/** The setup and input specs of a case's training step, as `fit` compiles it. */
const stepProgram = (spec: StepSpec | CompileSpec, d: StepData) => {
  const optimizer = optim.sgd(spec.lr);
  const start: StepVars = { ...d.vars, optState: optimizer.init(d.vars.params) };
  const fn = trainStep({ model: modelOf(spec), optimizer });
  const specs = {
    params: specsOf(start.params),
    state: specsOf(start.state),
    optState: specsOf(start.optState),
    x: { shape: [spec.batch, ...IMAGE_SHAPE] },
    y: { shape: [spec.batch], dtype: "int32" as const },
    key: { shape: [2], dtype: "int32" as const },
    step: { shape: [], dtype: "int32" as const },
  };
  return { fn, specs, start };
};

/** The variables of a step left on the backend's device between runs. */
type DeviceVars = { readonly [K in keyof StepVars]: Tree<DeviceTensor> };

/**
 * A compiled training step fed its own outputs, as in `fit`: every run is one SGD step from
 * where the last one left the parameters, which stay on the backend's device (textures on
 * WebGL), as do the batch and labels (as tfjs keeps its variables and inputs). Only the loss
 * is read back, every step. Returns it.
 */
export const stepRunner: Prepare<StepSpec> = async (backend, opts, spec, data) => {
  const d = dataOf(data, "step");
  const { fn, specs, start } = stepProgram(spec, d);
  const f = compile(backend, fn, specs, opts);
  const fixed = toDevice(backend, {
    x: f32(d.x, [spec.batch, ...IMAGE_SHAPE]),
    y: hostTensor(d.labels, [spec.batch], "int32"),
    key: key(0),
    step: hostTensor([0], [], "int32"),
  }) as Record<string, DeviceTensor>;
  let vars = toDevice(backend, start) as DeviceVars;
  return {
    run: async () => {
      const out = (await f.runResident({ ...vars, ...fixed } as never)) as unknown as DeviceVars & {
        loss: DeviceTensor;
        correct?: DeviceTensor;
      };
      disposeTree(vars);
      vars = { params: out.params, state: out.state, optState: out.optState };
      try {
        return (await out.loss.read()).data[0]!;
      } finally {
        out.loss.dispose();
        out.correct?.dispose();
      }
    },
    dispose: () => {
      disposeTree(vars);
      disposeTree(fixed);
      f.dispose();
    },
  };
};

/** Every run a fresh backend (no cached programs), the step compiled and run once: the first step a user waits for. */
const coldRunner = (entry: LoomBackendEntry, spec: StepSpec, data: CaseData): Runner => ({
  run: async () => {
    const backend = entry.make();
    const r = await stepRunner(backend, entry.options, spec, data);
    try {
      return await r.run();
    } finally {
      r.dispose();
      backend.dispose();
    }
  },
  dispose: () => {},
});

/** One fresh compile per run: trace, the passes, lowering and the backend's own compile. */
const compileRunner: Prepare<CompileSpec> = async (backend, opts, spec, data) => {
  const d = dataOf(data, "step");
  return {
    run: async () => {
      const { fn, specs } = stepProgram(spec, d);
      const traced = trace(fn, specs);
      // Every input shape is concrete, so there are no symbols to bind.
      backend.compile(planGraph(traced.graph, {}, opts)).dispose();
      return undefined;
    },
    dispose: () => {},
  };
};

/** An eval-mode forward pass of a case's model on its fixed variables and batch. */
const forwardRunner: Prepare<ForwardSpec> = async (backend, opts, spec, data) => {
  const d = dataOf(data, "forward");
  const layer = forwardModel(spec);
  const shape = [spec.batch, ...spec.input];
  const f = compile(
    backend,
    (io) => ({ y: layer.apply(io.params, io.state, io.x as Tensor, { training: false }).y }),
    { params: specsOf(d.vars.params), state: specsOf(d.vars.state), x: { shape } },
    opts,
  );
  const feeds = { params: d.vars.params, state: d.vars.state, x: f32(d.x, shape) };
  return { run: async () => void (await f.run(feeds as never)), dispose: f.dispose };
};

/** The timing loop of the reference interpreter: one warm-up and a handful of runs at most. */
const slowTiming = (t: TimingOptions): TimingOptions => ({
  ...t,
  maxWarmupRuns: 1,
  maxRuns: Math.min(t.maxRuns, 5),
  maxTotalMs: Math.min(t.maxTotalMs, 4000),
});

/** A loom backend as a benchmark implementation. */
export const loomImpl = (entry: LoomBackendEntry, hasFastLoom: boolean): Impl => {
  const backend = entry.make();
  return {
    name: entry.impl,
    side: "loom",
    skip: (c: BenchCase) =>
      !entry.slow || c.size === "small" || (c.size === "large" && !hasFastLoom)
        ? undefined
        : "too slow on the reference interpreter",
    timing: entry.slow ? slowTiming : (t) => t,
    prepare: async (c, data) => {
      const s = c.spec;
      switch (s.kind) {
        case "matmul":
          return matmulRunner(backend, entry.options, s.n, data);
        case "conv2d":
          return convRunner(backend, entry.options, s, data);
        case "step":
          return s.cold ? coldRunner(entry, s, data) : stepRunner(backend, entry.options, s, data);
        case "compile":
          return compileRunner(backend, entry.options, s, data);
        case "forward":
          return forwardRunner(backend, entry.options, s, data);
      }
    },
  };
};

/** Every loom implementation available in this build. */
export const loomImpls = (mod: object = backendCpu): Impl[] => {
  const entries = loomBackends(mod);
  const hasFast = entries.some((e) => !e.slow);
  return entries.map((e) => loomImpl(e, hasFast));
};
