import { LoomError } from "@loom/graph";
import { add } from "../api/elementwise";
import { split, foldIn } from "../random";
import type { Layer, ParamsOf, StateOf, Vars } from "./layer";
import { checkLayer, childContext, layer, outputSpec } from "./layer";

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

/** The params of a `sequential` of children `C`: each child's params under its key (or index). */
export type SequentialParams<C> = { -readonly [K in keyof C]: ParamsOf<C[K]> };

/** The state of a `sequential` of children `C`. */
export type SequentialState<C> = { -readonly [K in keyof C]: StateOf<C[K]> };

/**
 * Layers applied in order. Children are named by the record's keys (or by index for an
 * array), which become the paths of their parameters (`conv1.w`) and their activation names.
 * Each child gets its own key, folded from the parent's by its position. The params and state
 * are typed after the children: `sequential({ fc: nn.dense(10) })` has params `{ fc: { w, b? } }`.
 */
export function sequential<const C extends readonly Layer[]>(
  children: C,
): Layer<SequentialParams<C>, SequentialState<C>>;
export function sequential<C extends Readonly<Record<string, Layer>>>(
  children: C,
): Layer<SequentialParams<C>, SequentialState<C>>;
export function sequential(children: Readonly<Record<string, Layer>> | readonly Layer[]): Layer {
  const entries = Array.isArray(children)
    ? children.map((l, i) => [String(i), l] as const)
    : Object.entries(children as Record<string, Layer>);
  for (const [name, l] of entries) checkLayer("sequential", l, `child "${name}"`);
  return layer({
    kind: "sequential",
    init: (k, spec) => {
      const params: Record<string, Vars> = {};
      const state: Record<string, Vars> = {};
      let cur = spec;
      entries.forEach(([name, child], i) => {
        const v = child.init(foldIn(k, i), cur);
        params[name] = v.params;
        state[name] = v.state;
        cur = outputSpec(child, cur, v.params, v.state);
      });
      return { params, state };
    },
    apply: (params, state, x, ctx) => {
      const p = asRecord(params, "sequential");
      const s = asRecord(state, "sequential");
      const next: Record<string, Vars> = {};
      let y = x;
      entries.forEach(([name, child], i) => {
        const r = child.apply(p[name] ?? {}, s[name] ?? {}, y, childContext(ctx, name, i));
        y = r.y;
        next[name] = r.state;
        ctx.tap?.(name, y);
      });
      return { y, state: next };
    },
  });
}

/** The params (or, with `StateOf`, the state) of a `residual`: `block`, and `shortcut`/`post` when given. */
export type ResidualVars<B, SC, PO, Of extends "params" | "state"> = {
  block: Of extends "params" ? ParamsOf<B> : StateOf<B>;
} & (SC extends Layer ? { shortcut: Of extends "params" ? ParamsOf<SC> : StateOf<SC> } : unknown) &
  (PO extends Layer ? { post: Of extends "params" ? ParamsOf<PO> : StateOf<PO> } : unknown);

/**
 * A residual connection `post(block(x) + shortcut(x))` (He et al.): the shortcut is the
 * identity unless given (a projection or a zero-padding shortcut).
 */
export const residual = <
  B extends Layer,
  SC extends Layer | undefined = undefined,
  PO extends Layer | undefined = undefined,
>(
  block: B,
  shortcut?: SC,
  post?: PO,
): Layer<ResidualVars<B, SC, PO, "params">, ResidualVars<B, SC, PO, "state">> => {
  checkLayer("residual", block, "the block");
  if (shortcut !== undefined) checkLayer("residual", shortcut, "the shortcut");
  if (post !== undefined) checkLayer("residual", post, "post");
  const inner: Layer = layer({
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
  });
  return inner as unknown as Layer<
    ResidualVars<B, SC, PO, "params">,
    ResidualVars<B, SC, PO, "state">
  >;
};
