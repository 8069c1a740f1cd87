import type { Node } from "@loom/graph";
import { backprop, formatType, LoomError, orThrow } from "@loom/graph";
import type { Tensor } from "./core";
import { isTensor, prim, scalar } from "./core";
import type { Tree } from "./pytree";
import { flattenTree, mapTree, unflattenTree } from "./pytree";
import { primitives } from "./table";

const zerosLike = (x: Node): Node =>
  prim("broadcast", [scalar(0, x.dtype)], { shape: [...x.shape] });

const AD_OPS = { add: (a: Node, b: Node) => prim("add", [a, b]), zerosLike };

/**
 * Vector-Jacobian product: evaluates `f` at `primals` (building its graph) and returns its
 * output with a pullback that maps output cotangents to input cotangents, as graph nodes.
 */
export const vjp = <I extends Tree<Tensor>, O extends Tree<Tensor>>(
  f: (x: I) => O,
  primals: I,
): {
  out: O;
  /** Maps cotangents of the output to cotangents of `primals`. */
  pullback: (ct: O) => I;
} => {
  const out = f(primals);
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
  return { out, pullback };
};

/**
 * `valueAndGrad(f)(...args)`: the scalar value of `f` and its gradient with respect to the
 * tree `args[argnum]`, as graph nodes. Built by reverse mode from loom ops, so it composes:
 * `grad(x => grad(f)(x))` gives second derivatives.
 */
export const valueAndGrad =
  <A extends readonly Tree<Tensor>[]>(f: (...args: A) => Tensor, argnum = 0) =>
  (...args: A): { value: Tensor; grad: A[number] } => {
    const wrt = args[argnum];
    if (wrt === undefined)
      throw new LoomError(
        "invalid_argument",
        "grad",
        `argnum ${argnum} is out of range for ${args.length} arguments`,
      );
    const { out, pullback } = vjp(
      (w: Tree<Tensor>) => f(...(args.map((a, i) => (i === argnum ? w : a)) as unknown as A)),
      wrt,
    );
    if (!isTensor(out) || out.shape.length !== 0) {
      throw new LoomError(
        "invalid_argument",
        "grad",
        `needs a function with a scalar output, got ${isTensor(out) ? formatType(out) : "a tree"}; use vjp for other outputs`,
      );
    }
    return { value: out, grad: pullback(scalar(1, out.dtype)) };
  };

/**
 * Like `valueAndGrad` for a function that returns its scalar loss together with auxiliary
 * outputs (logits, new model state), which get no gradient (JAX's `has_aux`).
 */
export const valueAndGradWithAux =
  <A extends readonly Tree<Tensor>[], X extends Tree<Tensor>>(
    f: (...args: A) => { loss: Tensor; aux: X },
    argnum = 0,
  ) =>
  (...args: A): { value: Tensor; aux: X; grad: A[number] } => {
    let aux: X | undefined;
    const r = valueAndGrad((...xs: A) => {
      const o = f(...xs);
      aux = o.aux;
      return o.loss;
    }, argnum)(...args);
    return { value: r.value, aux: aux!, grad: r.grad };
  };

/** `grad(f)(...args)`: the gradient of scalar `f` with respect to `args[argnum]`. */
export const grad =
  <A extends readonly Tree<Tensor>[]>(f: (...args: A) => Tensor, argnum = 0) =>
  (...args: A): A[number] =>
    valueAndGrad(f, argnum)(...args).grad;

/** Zeros shaped like every tensor of a tree. */
export const zerosLikeTree = <T extends Tree<Tensor>>(t: T): T =>
  mapTree(t, isTensor, zerosLike) as T;
