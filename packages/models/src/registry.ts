import type { Dim, Graph } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { HostsOf, SpecsOf, Tensor, TensorSpec, Tree, nn } from "@loom/ops";
import { input, isTensor, mapTree, trace } from "@loom/ops";
import { alexnet } from "./zoo/alexnet";
import type { InitName } from "./zoo/lenet";
import { lenet5 } from "./zoo/lenet";
import { mlp } from "./zoo/mlp";
import { perceptron } from "./zoo/perceptron";
import { cifarResnet, resnet } from "./zoo/resnet";
import { smallVgg, vgg } from "./zoo/vgg";

/** A named model: its layer and the shape of one input example. */
export interface ModelEntry {
  readonly layer: nn.Layer;
  readonly input: readonly number[];
}

/** Options every named model understands (ignored where they do not apply, e.g. dropout in a perceptron). */
export interface ModelOptions {
  readonly dropout?: number;
  readonly batchNorm?: boolean;
  readonly classes?: number;
  /** Weight initializer by name, for the models that take one (perceptron, mlp, lenet). */
  readonly init?: InitName;
  /** The shape of one input example, `[C, H, W]` (or what the model takes), instead of the model's default. */
  readonly input?: readonly number[];
}

const MNIST = [1, 28, 28] as const;
const IMAGENET = [3, 224, 224] as const;

/** A CIFAR ResNet whose input channels follow the (possibly overridden) input shape. */
const cifar = (depth: number) => (o: ModelOptions) => {
  const input = o.input ?? MNIST;
  return { layer: cifarResnet(depth, { classes: o.classes, inputChannels: input[0] }), input };
};

/**
 * The models the CLI and the web app can name: the small ones (`vgg-small` too) and the CIFAR ResNets default to
 * MNIST (1x28x28, 10 classes), AlexNet, VGG and the ImageNet ResNets to 3x224x224 and 1000
 * classes.
 */
const MODELS: Readonly<Record<string, (o: ModelOptions) => ModelEntry>> = {
  perceptron: (o) => ({ layer: perceptron(o.classes), input: o.input ?? MNIST }),
  mlp: (o) => ({ layer: mlp(o), input: o.input ?? MNIST }),
  lenet: (o) => ({ layer: lenet5(o), input: o.input ?? MNIST }),
  alexnet: (o) => ({ layer: alexnet(o), input: o.input ?? IMAGENET }),
  "vgg-small": (o) => ({ layer: smallVgg(o), input: o.input ?? MNIST }),
  vgg11: (o) => ({ layer: vgg(11, o), input: o.input ?? IMAGENET }),
  vgg16: (o) => ({ layer: vgg(16, o), input: o.input ?? IMAGENET }),
  resnet18: (o) => ({ layer: resnet(18, o), input: o.input ?? IMAGENET }),
  resnet34: (o) => ({ layer: resnet(34, o), input: o.input ?? IMAGENET }),
  resnet50: (o) => ({ layer: resnet(50, o), input: o.input ?? IMAGENET }),
  resnet20: cifar(20),
  resnet32: cifar(32),
  resnet56: cifar(56),
};

const checkInput = (shape: readonly number[]): void => {
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    !shape.every((d) => Number.isInteger(d) && d >= 1)
  ) {
    throw new LoomError(
      "invalid_argument",
      "model",
      `input must be a non-empty list of positive integers such as [3, 224, 224], got ${JSON.stringify(shape)}`,
    );
  }
};

/** The known model names. */
export const MODEL_NAMES: readonly string[] = Object.keys(MODELS);

/** The entry of a named model; unknown names are a LoomError listing the known ones. */
export const getModel = (name: string, opts: ModelOptions = {}): ModelEntry => {
  const make = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (make === undefined) {
    throw new LoomError(
      "invalid_argument",
      "model",
      `unknown model ${JSON.stringify(name)}; known models: ${MODEL_NAMES.join(", ")}`,
    );
  }
  if (opts.input !== undefined) checkInput(opts.input);
  return make(opts);
};

/**
 * The types of a layer's params and state for an input type, by tracing `init` without
 * running it: shape inference alone. Typed after the layer, as `specsOf` of its `initModel`
 * variables is, so a function traced with them can call the layer's typed `apply`.
 */
export const varSpecs = <P extends nn.Vars, S extends nn.Vars>(
  layer: nn.Layer<P, S>,
  spec: nn.InputSpec,
): { params: SpecsOf<HostsOf<P>>; state: SpecsOf<HostsOf<S>> } => {
  const { params, state } = layer.init(input("key", [2], "int32"), spec);
  const toSpec = (t: Tree<Tensor>) =>
    mapTree(t, isTensor, (n): TensorSpec => ({ shape: n.shape, dtype: n.dtype }));
  return {
    params: toSpec(params) as SpecsOf<HostsOf<P>>,
    state: toSpec(state) as SpecsOf<HostsOf<S>>,
  };
};

const checkBatch = (batch: Dim): void => {
  const ok =
    typeof batch === "number"
      ? Number.isInteger(batch) && batch >= 1
      : /^[A-Za-z_][A-Za-z0-9_]*$/.test(batch);
  if (!ok) {
    throw new LoomError(
      "invalid_argument",
      "modelGraph",
      `batch must be a positive integer or a symbol such as "N", got ${JSON.stringify(batch)}`,
    );
  }
};

/**
 * The inference graph of a named model (inputs `params.*`, `state.*` and `x`, output
 * `logits`), with a symbolic batch by default so one graph serves every batch size.
 */
export const modelGraph = (
  name: string | ModelEntry,
  batch: Dim = "N",
  opts: ModelOptions = {},
): Graph => {
  const { layer, input: example } = typeof name === "string" ? getModel(name, opts) : name;
  checkBatch(batch);
  const x = { shape: [batch, ...example] };
  const vars = varSpecs(layer, x);
  return trace(
    ({ params, state, x: xs }: { params: Tree<Tensor>; state: Tree<Tensor>; x: Tensor }) => ({
      logits: layer.apply(params, state, xs, { training: false }).y,
    }),
    { ...vars, x },
  ).graph;
};
