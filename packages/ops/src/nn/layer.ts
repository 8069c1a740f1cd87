import type { DType, Shape } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { input } from "../core";
import { add } from "../api/elementwise";
import type { Tree } from "../pytree";
import { foldIn, split } from "../random";

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

/**
 * A layer is a pair of pure functions: `init` makes parameters and state from a key and an
 * input type (as graph tensors, to be run once), `apply` maps an input to an output and the
 * next state. Nothing is stored in the layer object itself.
 */
export interface Layer {
  readonly kind: string;
  /** Makes the parameters and state for an input type from a key (graph ops: run it once). */
  readonly init: (key: Tensor, input: InputSpec) => { params: Vars; state: Vars };
  /** Maps an input to the output and the next state. */
  readonly apply: (
    params: Vars,
    state: Vars,
    x: Tensor,
    ctx: ApplyContext,
  ) => { y: Tensor; state: Vars };
}

/** The output type of a layer for an input type, found by building its graph once on a placeholder. */
export const outputSpec = (layer: Layer, spec: InputSpec, params: Vars, state: Vars): InputSpec => {
  const x = input("probe", spec.shape, spec.dtype ?? "float32");
  const { y } = layer.apply(params, state, x, { training: false });
  return { shape: y.shape, dtype: y.dtype };
};

/** A stateless, parameterless layer from a function. */
export const fnLayer = (kind: string, f: (x: Tensor) => Tensor): Layer => ({
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

const asRecord = (v: Vars, kind: string): Record<string, Vars> => {
  if (typeof v !== "object" || v === null || Array.isArray(v) || "op" in v) {
    throw new LoomError(
      "invalid_argument",
      kind,
      "expects its params and state as an object keyed by child name",
    );
  }
  return v as Record<string, Vars>;
};

/**
 * Layers applied in order. Children are named by the record's keys (or by index for an
 * array), which become the paths of their parameters (`conv1.w`) and their activation names.
 * Each child gets its own key, folded from the parent's by its position.
 */
export const sequential = (children: Readonly<Record<string, Layer>> | readonly Layer[]): Layer => {
  const entries = Array.isArray(children)
    ? children.map((l, i) => [String(i), l] as const)
    : Object.entries(children as Record<string, Layer>);
  return {
    kind: "sequential",
    init: (k, spec) => {
      const params: Record<string, Vars> = {};
      const state: Record<string, Vars> = {};
      let cur = spec;
      entries.forEach(([name, layer], i) => {
        const v = layer.init(foldIn(k, i), cur);
        params[name] = v.params;
        state[name] = v.state;
        cur = outputSpec(layer, cur, v.params, v.state);
      });
      return { params, state };
    },
    apply: (params, state, x, ctx) => {
      const p = asRecord(params, "sequential");
      const s = asRecord(state, "sequential");
      const next: Record<string, Vars> = {};
      let y = x;
      entries.forEach(([name, layer], i) => {
        const r = layer.apply(p[name] ?? {}, s[name] ?? {}, y, childContext(ctx, name, i));
        y = r.y;
        next[name] = r.state;
        ctx.tap?.(name, y);
      });
      return { y, state: next };
    },
  };
};

/**
 * A residual connection `post(block(x) + shortcut(x))` (He et al.): the shortcut is the
 * identity unless given (a projection or a zero-padding shortcut).
 */
export const residual = (block: Layer, shortcut?: Layer, post?: Layer): Layer => {
  return {
    kind: "residual",
    init: (k, spec) => {
      // Three keys: a shortcut and a `post` with params of the same shape must not start equal.
      const [kb, ks, kp] = split(k, 3);
      const b = block.init(kb!, spec);
      const params: Record<string, Vars> = { block: b.params };
      const state: Record<string, Vars> = { block: b.state };
      if (shortcut) {
        const s = shortcut.init(ks!, spec);
        params["shortcut"] = s.params;
        state["shortcut"] = s.state;
      }
      if (post) {
        const ps = post.init(kp!, outputSpec(block, spec, b.params, b.state));
        params["post"] = ps.params;
        state["post"] = ps.state;
      }
      return { params, state };
    },
    apply: (params, state, x, ctx) => {
      const p = asRecord(params, "residual");
      const s = asRecord(state, "residual");
      const sub = (name: string, i: number) => childContext(ctx, name, i);
      const b = block.apply(p["block"]!, s["block"]!, x, sub("block", 0));
      const sc = shortcut
        ? shortcut.apply(p["shortcut"]!, s["shortcut"]!, x, sub("shortcut", 1))
        : { y: x, state: {} };
      let y = add(b.y, sc.y);
      const next: Record<string, Vars> = { block: b.state };
      if (shortcut) next["shortcut"] = sc.state;
      if (post) {
        const r = post.apply(p["post"]!, s["post"]!, y, sub("post", 2));
        y = r.y;
        next["post"] = r.state;
      }
      return { y, state: next };
    },
  };
};
