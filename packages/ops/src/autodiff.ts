import type { Node } from "@loom/graph";
import { backprop, formatType, LoomError, orThrow } from "@loom/graph";
import type { Tensor } from "./core";
import { isTensor, prim, scalar } from "./core";
import type { Tree } from "./pytree";
import { flattenTree, mapTree, unflattenTree } from "./pytree";
import { primitives } from "./table";
import type { OptionKeys } from "./api/options";
import { checkOptions } from "./api/options";

const zerosLike = (x: Node): Node =>
  prim("broadcast", [scalar(0, x.dtype)], { shape: [...x.shape] });

const AD_OPS = { add: (a: Node, b: Node) => prim("add", [a, b]), zerosLike };

/** Options of {@link vjp}: JAX's `has_aux`. */
export interface VjpOptions {
  /**
   * `f` returns `[out, aux]`: `aux` (a tree of tensors such as new batch-norm statistics) is
   * returned next to `out` and gets no cotangent.
   */
  readonly hasAux?: boolean;
}

/** Options of {@link valueAndGrad}: which argument to differentiate, and JAX's `has_aux`. */
export interface GradOptions extends VjpOptions {
  /** The index of the argument to differentiate (default 0). */
  readonly argnum?: number;
}

const VJP_KEYS: OptionKeys<VjpOptions> = { hasAux: true };
const GRAD_KEYS: OptionKeys<GradOptions> = { hasAux: true, argnum: true };

/** Splits `f`'s result into its value and auxiliary tree when `hasAux` (a LoomError if it is no pair). */
const splitAux = (op: string, r: unknown, hasAux: boolean): [unknown, Tree<Tensor> | undefined] => {
  if (!hasAux) return [r, undefined];
  if (!Array.isArray(r) || r.length !== 2) {
    throw new LoomError(
      "invalid_argument",
      op,
      "with hasAux the function must return a pair [value, aux]",
    );
  }
  flattenTree(r[1] as Tree<Tensor>, isTensor); // a tree of tensors, checked here rather than later
  return [r[0], r[1] as Tree<Tensor>];
};

/**
 * Vector-Jacobian product: evaluates `f` at `primals` (building its graph) and returns its
 * output with a pullback that maps output cotangents to input cotangents, as graph nodes.
 * With `{ hasAux: true }`, `f` returns `[out, aux]` and the result carries `aux` too (JAX's
 * `vjp(f, x, has_aux=True)`).
 */
export function vjp<I extends Tree<Tensor>, O extends Tree<Tensor>, X extends Tree<Tensor>>(
  f: (x: I) => readonly [O, X],
  primals: I,
  opts: VjpOptions & { readonly hasAux: true },
): {
  out: O;
  /** Maps cotangents of the output to cotangents of `primals`. */
  pullback: (ct: O) => I;
  aux: X;
};
/** Vector-Jacobian product of `f` at `primals` (see the overload with `hasAux`). */
export function vjp<I extends Tree<Tensor>, O extends Tree<Tensor>>(
  f: (x: I) => O,
  primals: I,
  opts?: VjpOptions & { readonly hasAux?: false },
): {
  out: O;
  /** Maps cotangents of the output to cotangents of `primals`. */
  pullback: (ct: O) => I;
};
export function vjp<I extends Tree<Tensor>, O extends Tree<Tensor>>(
  f: (x: I) => unknown,
  primals: I,
  opts: VjpOptions = {},
): { out: O; pullback: (ct: O) => I; aux?: Tree<Tensor> } {
  checkOptions("vjp", opts, VJP_KEYS);
  const [result, aux] = splitAux("vjp", f(primals), opts?.hasAux === true);
  const out = result as O;
  const ins = flattenTree(primals, isTensor);
  const outs = flattenTree(out, isTensor);
  const pullback = (ct: O): I => {
    const cts = flattenTree(ct, isTensor);
    if (cts.length !== outs.length) {
      throw new LoomError(
        "invalid_argument",
        "vjp",
        `got ${cts.length} cotangents for ${outs.length} outputs`,
      );
    }
    const grads = orThrow(
      backprop(
        primitives,
        AD_OPS,
        outs.map((o) => o.leaf),
        cts.map((c) => c.leaf),
        ins.map((i) => i.leaf),
      ),
    );
    return unflattenTree(primals, isTensor, new Map(ins.map((p, k) => [p.path, grads[k]!]))) as I;
  };
  return opts?.hasAux === true ? { out, pullback, aux } : { out, pullback };
}

/**
 * `valueAndGrad(f)(...args)`: the scalar value of `f` and its gradient with respect to the
 * tree `args[argnum]`, as graph nodes. Built by reverse mode from loom ops, so it composes:
 * `grad(x => grad(f)(x))` gives second derivatives. The second argument is `argnum` or
 * `{ argnum, hasAux }`; with `hasAux: true` (JAX's `has_aux`), `f` returns `[loss, aux]` and
 * the result is `{ value, grad, aux }`, `aux` (logits, new model state) getting no gradient.
 */
export function valueAndGrad<A extends readonly Tree<Tensor>[], X extends Tree<Tensor>>(
  f: (...args: A) => readonly [Tensor, X],
  opts: GradOptions & { readonly hasAux: true },
): (...args: A) => { value: Tensor; grad: A[number]; aux: X };
/** The value and gradient of scalar `f` (see the overload with `hasAux`). */
export function valueAndGrad<A extends readonly Tree<Tensor>[]>(
  f: (...args: A) => Tensor,
  opts?: number | (GradOptions & { readonly hasAux?: false }),
): (...args: A) => { value: Tensor; grad: A[number] };
export function valueAndGrad<A extends readonly Tree<Tensor>[]>(
  f: (...args: A) => unknown,
  opts: number | GradOptions = {},
): (...args: A) => { value: Tensor; grad: A[number]; aux?: Tree<Tensor> } {
  const { argnum = 0, hasAux = false } =
    typeof opts === "number" ? { argnum: opts } : checkOptions("valueAndGrad", opts, GRAD_KEYS);
  return (...args: A) => {
    const wrt = args[argnum];
    if (wrt === undefined)
      throw new LoomError(
        "invalid_argument",
        "grad",
        `argnum ${argnum} is out of range for ${args.length} arguments`,
      );
    let aux: Tree<Tensor> | undefined;
    const { out, pullback } = vjp((w: Tree<Tensor>) => {
      const [value, a] = splitAux(
        "valueAndGrad",
        f(...(args.map((v, i) => (i === argnum ? w : v)) as unknown as A)),
        hasAux,
      );
      aux = a;
      return value as Tree<Tensor>;
    }, wrt);
    if (!isTensor(out) || out.shape.length !== 0) {
      throw new LoomError(
        "invalid_argument",
        "grad",
        `needs a function with a scalar output, got ${isTensor(out) ? formatType(out) : "a tree"}; use vjp for other outputs`,
      );
    }
    const grad = pullback(scalar(1, out.dtype));
    return hasAux ? { value: out, grad, aux: aux! } : { value: out, grad };
  };
}

/**
 * The older spelling of `valueAndGrad(f, { argnum, hasAux: true })` for an `f` that returns
 * `{ loss, aux }`; kept working, the JAX-style option is the documented form.
 */
export const valueAndGradWithAux =
  <A extends readonly Tree<Tensor>[], X extends Tree<Tensor>>(
    f: (...args: A) => { loss: Tensor; aux: X },
    argnum = 0,
  ) =>
  (...args: A): { value: Tensor; aux: X; grad: A[number] } =>
    valueAndGrad(
      (...xs: A) => {
        const o = f(...xs);
        return [o.loss, o.aux] as const;
      },
      { argnum, hasAux: true },
    )(...args);

/** `grad(f)(...args)`: the gradient of scalar `f` with respect to `args[argnum]`. */
export const grad =
  <A extends readonly Tree<Tensor>[]>(f: (...args: A) => Tensor, argnum = 0) =>
  (...args: A): A[number] =>
    valueAndGrad(f, argnum)(...args).grad;

/** Zeros shaped like every tensor of a tree. */
export const zerosLikeTree = <T extends Tree<Tensor>>(t: T): T =>
  mapTree<Tensor, Tensor>(t, isTensor, zerosLike) as T;
