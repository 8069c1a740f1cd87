import { referenceBackend } from "@loom/backend-cpu";
import type { ModelVars } from "@loom/models/browser";
import { getModel, initModel, lenet5, resnet, varSpecs } from "@loom/models/browser";
import type { TensorSpec, Tree } from "@loom/ops";
import { hostTensor, isSpec, mapTree, nn } from "@loom/ops";
import type { TimingOptions } from "./stats";

/** `c[n,n] = a[n,n] @ b[n,n]`. */
export type MatmulSpec = { readonly kind: "matmul"; readonly n: number };

/** A forward NCHW convolution without bias, `[batch, inChannels, size, size]` by `[filters, inChannels, k, k]`. */
export type ConvSpec = {
  readonly kind: "conv2d";
  readonly batch: number;
  readonly inChannels: number;
  readonly size: number;
  readonly filters: number;
  readonly kernel: number;
  readonly padding: "same" | "valid";
  /** Also both gradients (input and filter) against a given output gradient: a training layer's work. */
  readonly grads?: boolean;
};

/** One SGD training step (forward, softmax cross-entropy, backward, update) of a model on MNIST-shaped inputs. */
export type StepSpec = {
  readonly kind: "step";
  readonly model: "mlp" | "lenet" | "resnet20";
  readonly batch: number;
  readonly lr: number;
  /** Each run starts from nothing: a fresh backend, compilation (shaders included), one step. */
  readonly cold?: boolean;
};

/** Fresh compiles of a training step: trace, passes, lowering and the backend's compile (loom only). */
export type CompileSpec = Omit<StepSpec, "kind"> & { readonly kind: "compile" };

/** An eval-mode forward pass of a model (the ONNX peer runs the same model exported). */
export type ForwardSpec = {
  readonly kind: "forward";
  readonly model: "mlp" | "lenet" | "resnet18";
  readonly batch: number;
  /** One example's shape. */
  readonly input: readonly number[];
};

/** What a case computes. */
export type CaseSpec = MatmulSpec | ConvSpec | StepSpec | CompileSpec | ForwardSpec;

/**
 * How heavy a case is for loom's slow reference interpreter: "small" always runs on it,
 * "large" only while no optimised loom backend exists, "huge" never.
 */
export type CaseSize = "small" | "large" | "huge";

/** A benchmark case: a name to filter by, what it computes and its FLOP count where that means something. */
export type BenchCase = {
  readonly name: string;
  readonly title: string;
  readonly spec: CaseSpec;
  /** Floating-point operations per run, for GFLOP/s; null for training steps and compiles. */
  readonly flops: number | null;
  readonly size: CaseSize;
  /** A cap on timed runs, for cases where a few samples say enough (compiles). */
  readonly maxRuns?: number;
};

/** The side of the comparison an implementation is on. */
export type Side = "loom" | "peer";

/** One prepared (compiled, fed) case: `run` does the timed work once and returns the loss for training steps. */
export type Runner = {
  readonly run: () => Promise<number | undefined>;
  readonly dispose: () => void;
};

/** Thrown by `prepare` when an implementation finds out it cannot run a case (a missing kernel). */
export class SkipCase extends Error {}

/** An implementation under test: a loom backend or a TensorFlow.js backend. */
export type Impl = {
  readonly name: string;
  readonly side: Side;
  /** Why this implementation does not run a case, or undefined when it does. */
  readonly skip: (c: BenchCase) => string | undefined;
  /** Tightens the timing loop for slow implementations. */
  readonly timing: (base: TimingOptions) => TimingOptions;
  readonly prepare: (c: BenchCase, data: CaseData) => Promise<Runner>;
};

const matmulCase = (n: number, size: CaseSize): BenchCase => ({
  name: `matmul-${n}`,
  title: `matmul ${n}x${n} @ ${n}x${n}`,
  spec: { kind: "matmul", n },
  flops: 2 * n ** 3,
  size,
});

/** The output side of a stride-1 convolution. */
export const convOutSize = (s: ConvSpec): number =>
  s.padding === "same" ? s.size : s.size - s.kernel + 1;

const convCase = (
  name: string,
  spec: Omit<ConvSpec, "kind">,
  size: CaseSize = "small",
): BenchCase => {
  const s: ConvSpec = { kind: "conv2d", ...spec };
  const o = convOutSize(s);
  return {
    name,
    title: `conv2d [${s.batch},${s.inChannels},${s.size},${s.size}] * [${s.filters},${s.inChannels},${s.kernel},${s.kernel}] ${s.padding}`,
    spec: s,
    flops: (s.grads ? 6 : 2) * s.batch * s.filters * o * o * s.inChannels * s.kernel * s.kernel,
    size,
  };
};

function forwardCase(
  model: ForwardSpec["model"],
  batch: number,
  input: readonly number[],
  what: string,
): BenchCase {
  return {
    name: `${model}-forward`,
    title: `${what} eval-mode forward pass, batch ${batch}`,
    spec: { kind: "forward", model, batch, input },
    flops: null,
    size: model === "resnet18" ? "huge" : model === "lenet" ? "large" : "small",
  };
}

/** A training-step case: one SGD step (learning rate 0.1) of a model. */
const stepCase = (
  name: string,
  title: string,
  spec: Omit<StepSpec, "kind" | "lr">,
  size: CaseSize,
): BenchCase => ({ name, title, spec: { kind: "step", lr: 0.1, ...spec }, flops: null, size });

/** Every case, in the order they run and print. */
export const CASES: readonly BenchCase[] = [
  matmulCase(256, "small"),
  matmulCase(1024, "huge"),
  convCase("conv2d-lenet1", {
    batch: 32,
    inChannels: 1,
    size: 28,
    filters: 6,
    kernel: 5,
    padding: "same",
  }),
  convCase("conv2d-lenet2", {
    batch: 32,
    inChannels: 6,
    size: 14,
    filters: 16,
    kernel: 5,
    padding: "valid",
  }),
  // A ResNet-18 stage-1 layer (3x3, 64 -> 64 channels at 56x56), batch 8: 1.85 GFLOP forward,
  // and the same layer's forward pass with both gradients.
  convCase(
    "conv2d-resnet",
    { batch: 8, inChannels: 64, size: 56, filters: 64, kernel: 3, padding: "same" },
    "huge",
  ),
  convCase(
    "conv2d-resnet-grads",
    { batch: 8, inChannels: 64, size: 56, filters: 64, kernel: 3, padding: "same", grads: true },
    "huge",
  ),
  stepCase("mlp-step", "MLP 784-256-10 SGD step, batch 128", { model: "mlp", batch: 128 }, "small"),
  stepCase("lenet-step", "LeNet-5 SGD step, batch 64", { model: "lenet", batch: 64 }, "large"),
  {
    ...stepCase(
      "lenet-cold-step",
      "LeNet-5 first SGD step from a fresh backend (compile, shaders, one step), batch 64",
      { model: "lenet", batch: 64, cold: true },
      "huge",
    ),
    maxRuns: 2,
  },
  stepCase(
    "resnet20-step",
    "ResNet-20 SGD step on MNIST-shaped input, batch 64",
    { model: "resnet20", batch: 64 },
    "huge",
  ),
  {
    name: "lenet-compile",
    title: "compile the LeNet-5 training step (trace, passes, lowering, backend)",
    spec: { kind: "compile", model: "lenet", batch: 64, lr: 0.1 },
    flops: null,
    size: "small",
    maxRuns: 5,
  },
  forwardCase("mlp", 128, [1, 28, 28], "MLP 784-256-10"),
  forwardCase("lenet", 64, [1, 28, 28], "LeNet-5"),
  forwardCase("resnet18", 8, [3, 64, 64], "ResNet-18 (10 classes, 64x64 inputs)"),
];

/** The cases whose name contains `filter` (all of them for an empty filter). */
export const selectCases = (filter = ""): BenchCase[] =>
  CASES.filter((c) => c.name.includes(filter));

/** The MLP of the step case: `flatten, fc1: dense(256), act: relu, out: dense(10)`. */
export const mlpModel = (): nn.Layer =>
  nn.sequential({ flatten: nn.flatten(), fc1: nn.dense(256), act: nn.relu(), out: nn.dense(10) });

/** The model of a training-step case (LeNet-5 as in @loom/models: ReLU, max pooling, 28x28 inputs; ResNet-20 as `loom train --model resnet20`). */
export const modelOf = (spec: StepSpec | CompileSpec): nn.Layer =>
  spec.model === "mlp"
    ? mlpModel()
    : spec.model === "lenet"
      ? lenet5()
      : getModel("resnet20").layer;

/** The model of a forward case. */
export const forwardModel = (spec: ForwardSpec): nn.Layer =>
  spec.model === "mlp"
    ? mlpModel()
    : spec.model === "lenet"
      ? lenet5()
      : resnet(18, { classes: 10 });

/** MNIST's image shape, without the batch. */
export const IMAGE_SHAPE = [1, 28, 28] as const;
/** MNIST's number of classes. */
export const CLASSES = 10;

/**
 * Deterministic uniform numbers in [lo, hi) from a seed (mulberry32), so that every
 * implementation is fed the very same values without any of them generating them.
 */
export const uniformArray = (n: number, seed: number, lo = -1, hi = 1): Float32Array => {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 2 ** 32);
  }
  return out;
};

/** Deterministic class labels in [0, classes). */
export const labelArray = (n: number, classes: number, seed: number): Int32Array => {
  const u = uniformArray(n, seed, 0, classes);
  return Int32Array.from({ length: n }, (_, i) => Math.min(classes - 1, Math.floor(u[i]!)));
};

/** The operands of a matmul case. */
export type MatmulData = {
  readonly kind: "matmul";
  readonly a: Float32Array;
  readonly b: Float32Array;
};
/** The operands of a conv case, in loom's layouts (NCHW input, OIHW weight). */
export type ConvData = {
  readonly kind: "conv2d";
  readonly x: Float32Array;
  readonly w: Float32Array;
  /** The output gradient of a case with `grads`, `[batch, filters, out, out]`. */
  readonly dy: Float32Array;
};
/** A training batch and the initial variables (from loom's `initModel`), in loom's layouts. */
export type StepData = {
  readonly kind: "step";
  readonly vars: ModelVars;
  /** `[batch, 1, 28, 28]` in [0, 1), like MNIST pixels. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
};
/** The variables and input batch of a forward case. */
export type ForwardData = {
  readonly kind: "forward";
  readonly vars: ModelVars;
  readonly x: Float32Array;
};
/** The inputs of a case, made once and handed to every implementation. */
export type CaseData = MatmulData | ConvData | StepData | ForwardData;

/**
 * Deterministic variables for a forward case, drawn directly (uniform in +-0.05; batch-norm
 * statistics 1) rather than by running `init`: ResNet-18's 11M parameters would
 * take the reference interpreter long, and the timing does not depend on the values.
 */
const makeForwardData = (spec: ForwardSpec): ForwardData => {
  const specs = varSpecs(forwardModel(spec), { shape: [spec.batch, ...spec.input] });
  let seed = 31;
  const fill = (t: Tree<TensorSpec>, value?: () => number) =>
    mapTree(t, isSpec, (s) => {
      const n = (s.shape as number[]).reduce((a, b) => a * b, 1);
      return hostTensor(
        value === undefined
          ? uniformArray(n, seed++, -0.05, 0.05)
          : Array.from({ length: n }, value),
        s.shape,
      );
    });
  return {
    kind: "forward",
    vars: { params: fill(specs.params), state: fill(specs.state, () => 1) },
    x: uniformArray(spec.batch * spec.input.reduce((a, b) => a * b, 1), 41, 0, 1),
  };
};

/**
 * The initial variables (loom's `initModel` unless given) and a batch of a training step:
 * the same for loom and its peers.
 */
export const makeStepData = async (
  spec: StepSpec | CompileSpec,
  seed = 1,
  init?: ModelVars,
): Promise<StepData> => {
  const vars =
    init ??
    (await initModel(referenceBackend(), modelOf(spec), seed, {
      shape: [spec.batch, ...IMAGE_SHAPE],
    }));
  const n = spec.batch * IMAGE_SHAPE.reduce<number>((a, b) => a * b, 1);
  return {
    kind: "step",
    vars,
    x: uniformArray(n, seed + 1, 0, 1),
    labels: labelArray(spec.batch, CLASSES, seed + 2),
  };
};

/** Makes a case's inputs. */
export const makeCaseData = async (c: BenchCase): Promise<CaseData> => {
  const s = c.spec;
  switch (s.kind) {
    case "matmul":
      return { kind: "matmul", a: uniformArray(s.n * s.n, 11), b: uniformArray(s.n * s.n, 12) };
    case "conv2d":
      return {
        kind: "conv2d",
        x: uniformArray(s.batch * s.inChannels * s.size * s.size, 21),
        w: uniformArray(s.filters * s.inChannels * s.kernel * s.kernel, 22, -0.2, 0.2),
        dy: uniformArray(s.grads ? s.batch * s.filters * convOutSize(s) ** 2 : 0, 23),
      };
    case "step":
    case "compile":
      return makeStepData(s);
    case "forward":
      return makeForwardData(s);
  }
};

/** Narrows case data to the kind a case needs (a mismatch is a bug in the bench itself). */
export const dataOf = <K extends CaseData["kind"]>(
  data: CaseData,
  kind: K,
): Extract<CaseData, { kind: K }> => {
  if (data.kind !== kind) throw new Error(`bench: expected ${kind} data, got ${data.kind}`);
  return data as Extract<CaseData, { kind: K }>;
};
