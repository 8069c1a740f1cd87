/**
 * The PyTorch state-dict name of every tensor of a zoo model. AlexNet, VGG and the ImageNet
 * ResNets use torchvision's names (`features.0.weight`, `classifier.1.weight`,
 * `layer1.0.downsample.1.running_mean`, `fc.weight`). The models torchvision lacks use these
 * layouts, which zoo/torch-layouts.md spells out as PyTorch code:
 *
 * - perceptron, mlp, lenet: one `nn.Sequential` holding loom's children in loom's order
 *   (`Flatten`, `Linear`, `BatchNorm1d`, activation, `Dropout`, ...), so names are indices
 *   (`1.weight`); dropout and batch norm modules exist exactly when the options ask for them.
 * - CIFAR ResNets (20, 32, 56): Yerlan Idelbayev's widely used `resnet_cifar10`: `conv1`, `bn1`,
 *   `layer1..3.i.{conv1,bn1,conv2,bn2}`, option B's projection as `shortcut.0`/`shortcut.1`
 *   (option A's zero padding has no tensors), and the classifier as `linear`.
 *
 * Leaves: a conv's or dense layer's `w`/`b` are `weight`/`bias` (same layouts: OIHW and
 * [out, in]); batch norm's `gamma`/`beta` are `weight`/`bias` and its state `mean`/`var` are
 * `running_mean`/`running_var`. PyTorch's batch norm also keeps `num_batches_tracked`, an I64
 * count that loom does not keep (it only matters with `momentum=None`): see torch-state-dict.ts.
 */
import { LoomError } from "@loom/graph";
import type { TensorSpec, Tree } from "@loom/ops";
import { isSpec } from "@loom/ops";

/** One tensor of a model: its PyTorch name, and where it lives in loom's trees. */
export interface TorchNameEntry {
  readonly torch: string;
  /** "params" or "state" for a loom tensor; "counter" for batch norm's `num_batches_tracked`, which loom does not keep. */
  readonly tree: "params" | "state" | "counter";
  /** The loom path inside its tree (`layer1.0.block.bn1.mean`); for a counter, its batch norm's path. */
  readonly path: string;
  /** The loom tensor's type; a counter is a scalar. */
  readonly spec: TensorSpec;
}

/**
 * The PyTorch name of child `key` (at position `index` among its siblings) of the loom module at
 * `parent` (loom path segments): "" splices the child into its parent (its tensors take the
 * parent's prefix), undefined means the layout has no such child.
 */
type ChildName = (parent: readonly string[], key: string, index: number) => string | undefined;

/** `nn.Sequential` in loom's order: child i is named "i". */
const positional: ChildName = (_parent, _key, index) => String(index);

/**
 * AlexNet and VGG: `features` indexed by position (loom's features follow torchvision's module
 * order, pools and ReLUs included), and a classifier whose Linear layers sit at fixed indices
 * because torchvision always builds its Dropout modules.
 */
const featuresAndClassifier =
  (classifier: Readonly<Record<string, string>>): ChildName =>
  (parent, key, index) => {
    if (parent.length === 0) return key;
    if (parent.length === 1 && parent[0] === "features") return String(index);
    if (parent.length === 1 && parent[0] === "classifier" && Object.hasOwn(classifier, key))
      return classifier[key];
    return undefined;
  };

/**
 * ResNets: stages and blocks keep their names; a residual block's `block` is spliced (its convs
 * are the block's own), its projection is `shortcut` (conv, bn -> 0, 1), the classifier `fc`.
 */
const resnetNames =
  (fc: string, shortcut: string): ChildName =>
  (parent, key) => {
    if (parent.length === 0) return key === "fc" ? fc : key;
    if (parent.length === 1) return key;
    if (parent.length === 2) return key === "block" ? "" : key === "shortcut" ? shortcut : key;
    if (parent.length === 3 && parent[2] === "shortcut")
      return key === "conv" ? "0" : key === "bn" ? "1" : undefined;
    return parent.length === 3 ? key : undefined;
  };

const LAYOUTS: Readonly<Record<string, ChildName>> = {
  perceptron: positional,
  mlp: positional,
  lenet: positional,
  alexnet: featuresAndClassifier({ fc1: "1", fc2: "4", fc3: "6" }),
  vgg11: featuresAndClassifier({ fc1: "0", fc2: "3", fc3: "6" }),
  vgg16: featuresAndClassifier({ fc1: "0", fc2: "3", fc3: "6" }),
  resnet18: resnetNames("fc", "downsample"),
  resnet34: resnetNames("fc", "downsample"),
  resnet50: resnetNames("fc", "downsample"),
  resnet20: resnetNames("linear", "shortcut"),
  resnet32: resnetNames("linear", "shortcut"),
  resnet56: resnetNames("linear", "shortcut"),
};

/** The zoo models that have a PyTorch layout. */
export const TORCH_MODEL_NAMES: readonly string[] = Object.keys(LAYOUTS);

/** loom leaf name -> PyTorch leaf name, per tree. */
const LEAVES = {
  params: { w: "weight", b: "bias", gamma: "weight", beta: "bias" },
  state: { mean: "running_mean", var: "running_var" },
} as const;

const noName = (model: string, path: string): LoomError =>
  new LoomError(
    "invalid_argument",
    "torchNames",
    `${model}'s PyTorch layout has no name for loom tensor ${JSON.stringify(path)}; was the model built with other options than the layout expects?`,
  );

const isRecord = (x: unknown): x is Readonly<Record<string, unknown>> =>
  typeof x === "object" && x !== null && !isSpec(x);

/** Dotted names where "" (a spliced module) adds no segment. */
const join = (a: string, b: string): string => (a === "" ? b : b === "" ? a : `${a}.${b}`);

/** Whether a subtree holds any tensor (parameter-free children such as ReLUs have no PyTorch name to find). */
const hasTensors = (x: unknown): boolean =>
  isSpec(x) || (isRecord(x) && Object.values(x).some(hasTensors));

/**
 * Every tensor of a zoo model with its PyTorch name, in PyTorch's `state_dict()` order (a
 * module's parameters, then its buffers, then its children), given the model's var specs (see
 * `varSpecs`). Throws a LoomError for an unknown model or a tree the layout does not cover.
 */
export const torchNames = (
  model: string,
  specs: { readonly params: Tree<TensorSpec>; readonly state: Tree<TensorSpec> },
): TorchNameEntry[] => {
  const child = Object.hasOwn(LAYOUTS, model) ? LAYOUTS[model] : undefined;
  if (child === undefined) {
    throw new LoomError(
      "invalid_argument",
      "torchNames",
      `no PyTorch layout for model ${JSON.stringify(model)}; known: ${TORCH_MODEL_NAMES.join(", ")}`,
    );
  }
  const out: TorchNameEntry[] = [];
  const walk = (p: unknown, s: unknown, loom: readonly string[], torch: string): void => {
    const params = isRecord(p) ? p : {};
    const state = isRecord(s) ? s : {};
    for (const tree of ["params", "state"] as const) {
      const names: Readonly<Record<string, string>> = LEAVES[tree];
      for (const [key, spec] of Object.entries(tree === "params" ? params : state)) {
        if (!isSpec(spec)) continue;
        const path = [...loom, key].join(".");
        if (!Object.hasOwn(names, key)) throw noName(model, `${tree}.${path}`);
        out.push({ torch: join(torch, names[key]!), tree, path, spec });
      }
    }
    if (isSpec(state["mean"])) {
      const spec = { shape: [], dtype: "int32" } as const;
      const torchName = join(torch, "num_batches_tracked");
      out.push({ torch: torchName, tree: "counter", path: loom.join("."), spec });
    }
    const keys = [...new Set([...Object.keys(params), ...Object.keys(state)])];
    keys.forEach((k, i) => {
      if (isSpec(params[k]) || isSpec(state[k])) return;
      if (!hasTensors(params[k]) && !hasTensors(state[k])) return;
      const name = child(loom, k, i);
      if (name === undefined) throw noName(model, [...loom, k].join("."));
      walk(params[k], state[k], [...loom, k], join(torch, name));
    });
  };
  walk(specs.params, specs.state, [], "");
  return out;
};
