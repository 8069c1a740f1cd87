import type { DType, Shape } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { input, isTensor } from "../core";
import { checkTensor, isHostData, notATensor } from "../graph-operand";
import type { Tree } from "../pytree";
import { foldIn } from "../random";
import { describeValue } from "../values";

/** The type of a layer's input: a shape (the batch may be a symbol such as "N") and a float dtype. */
export interface InputSpec {
  readonly shape: Shape;
  readonly dtype?: DType;
}

/** What `apply` may use besides params, state and input. */
export interface ApplyContext {
  /** True while training: batch norm uses batch statistics, dropout drops. */
  readonly training: boolean;
  /** A PRNG key for stochastic layers (dropout); required when training with them. */
  readonly key?: Tensor;
  /** Sees every named activation (`conv1`, `block2.conv1`), to request it as an extra output. */
  readonly tap?: (name: string, activation: Tensor) => void;
}

/** A layer's parameters and state: trees of tensors (empty objects for stateless layers). */
export type Vars = Tree<Tensor>;

/** The params or state of a layer that has none. */
export type NoVars = Readonly<Record<string, never>>;

/**
 * A layer is a pair of pure functions: `init` makes parameters and state from a key and an
 * input type (as graph tensors, to be run once), `apply` maps an input to an output and the
 * next state. Nothing is stored in the layer object itself. `P` and `S` are the types of its
 * parameter and state trees (`{ w: Tensor; b?: Tensor }` for a dense layer), so that a model's
 * trees are typed from its layers: `params.res.gate` needs no cast.
 */
export interface Layer<P extends Vars = Vars, S extends Vars = Vars> {
  readonly kind: string;
  /** Makes the parameters and state for an input type from a key (graph ops: run it once). */
  init(key: Tensor, input: InputSpec): { params: P; state: S };
  /** Maps an input to the output and the next state. */
  apply(params: P, state: S, x: Tensor, ctx: ApplyContext): { y: Tensor; state: S };
}

/** The parameter tree type of a layer (`ParamsOf<typeof model>`). */
export type ParamsOf<L> = L extends Layer<infer P, Vars> ? P : never;

/** The state tree type of a layer (batch-norm running statistics). */
export type StateOf<L> = L extends Layer<Vars, infer S> ? S : never;

/** The first leaf of a tree that is not a graph tensor (host data, a number...), with its path. */
const firstNonTensor = (
  tree: unknown,
  path: string,
): { path: string; leaf: unknown } | undefined => {
  if (isTensor(tree)) return undefined;
  const branch =
    !isHostData(tree) &&
    typeof tree === "object" &&
    tree !== null &&
    (Array.isArray(tree) || Object.getPrototypeOf(tree) === Object.prototype);
  if (!branch) return { path, leaf: tree };
  for (const [k, v] of Object.entries(tree)) {
    const bad = firstNonTensor(v, `${path}.${k}`);
    if (bad !== undefined) return bad;
  }
  return undefined;
};

/**
 * Throws a LoomError of layer `kind` unless its input is a graph tensor and its params and state
 * trees of graph tensors: `apply` on host data (what init or fit return) must say to compile or
 * `predict`, not fail in some op deep inside.
 */
export const checkApplyArgs = (kind: string, params: unknown, state: unknown, x: unknown): void => {
  checkTensor(kind, x, "the input x");
  for (const [name, tree] of [
    ["params", params],
    ["state", state],
  ] as const) {
    const bad = firstNonTensor(tree, name);
    if (bad !== undefined) throw notATensor(kind, bad.leaf, bad.path);
  }
};

/**
 * Throws a LoomError of `op` unless `x` is a layer: a layer factory passed without its call
 * (`nn.relu` for `nn.relu()`) says so, since it would otherwise fail later as "init is not a function".
 */
export const checkLayer = (op: string, x: unknown, what: string): void => {
  if (typeof x === "function")
    throw new LoomError(
      "invalid_argument",
      op,
      `${what} is a function, not a layer: a layer factory must be called (nn.relu(), not nn.relu)`,
    );
  const l = x as Partial<Layer> | null;
  if (
    typeof l !== "object" ||
    l === null ||
    typeof l.init !== "function" ||
    typeof l.apply !== "function"
  )
    throw new LoomError(
      "invalid_argument",
      op,
      `${what} is ${describeValue(x)}; expected a layer { kind, init, apply }`,
    );
};

/**
 * Makes a layer from its `init` and `apply`, inferring the types of its params and state from
 * what `init` returns, and checking at every `apply` that it is given graph tensors.
 *
 * ```ts
 * const gate = nn.layer({
 *   kind: "gate",
 *   init: (k, spec) => ({ params: { g: zeros(k, [spec.shape[1] as number]) }, state: {} }),
 *   apply: (p, s, x) => ({ y: mul(x, sigmoid(p.g)), state: s }),
 * });
 * ```
 */
export const layer = <P extends Vars, S extends Vars>(def: Layer<P, S>): Layer<P, S> => ({
  kind: def.kind,
  init: (k, spec) => def.init(k, spec),
  apply: (params, state, x, ctx) => {
    checkApplyArgs(def.kind, params, state, x);
    return def.apply(params, state, x, ctx);
  },
});

/** The output type of a layer for an input type, found by building its graph once on a placeholder. */
export const outputSpec = <P extends Vars, S extends Vars>(
  l: Layer<P, S>,
  spec: InputSpec,
  params: P,
  state: S,
): InputSpec => {
  const x = input("probe", spec.shape, spec.dtype ?? "float32");
  const { y } = l.apply(params, state, x, { training: false });
  return { shape: y.shape, dtype: y.dtype };
};

/** A stateless, parameterless layer from a function. */
export const fnLayer = (kind: string, f: (x: Tensor) => Tensor): Layer<NoVars, NoVars> =>
  layer<NoVars, NoVars>({
    kind,
    init: () => ({ params: {}, state: {} }),
    apply: (_p, state, x) => ({ y: f(x), state }),
  });

/** The context of child `i` named `name`: its own key, and activation names prefixed by its name. */
export const childContext = (ctx: ApplyContext, name: string, i: number): ApplyContext => ({
  training: ctx.training,
  key: ctx.key === undefined ? undefined : foldIn(ctx.key, i),
  tap: ctx.tap === undefined ? undefined : (n, a) => ctx.tap!(`${name}.${n}`, a),
});
