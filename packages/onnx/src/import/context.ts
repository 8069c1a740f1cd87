import * as E from "fp-ts/lib/Either.js";
import type { HostTensor } from "@loom/graph";
import { isConstantNode, constantData, LoomError, makeGraph, numel, simplify } from "@loom/graph";
import type { Tensor } from "@loom/ops";
import { constant, primitives } from "@loom/ops";
import type { AttributeProto } from "../proto";
import { hostFromProto, num } from "../proto";

/** One ONNX node as a converter sees it: its inputs as loom tensors, its attributes, the opset. */
export interface ConvertNode {
  readonly name: string;
  readonly opType: string;
  /** The node's inputs; an omitted optional input (an empty name) is `undefined`. */
  readonly inputs: readonly (Tensor | undefined)[];
  readonly attrs: Attrs;
  /** The model's opset for the default domain, which picks between an op's versions. */
  readonly opset: number;
  /** How many outputs the node declares. */
  readonly outputCount: number;
  /**
   * Per input, the same value computed with the other stand-ins for symbolic dims, when the
   * input depends on a symbolic dim's size (see symbolic-dims.ts); `undefined` otherwise.
   */
  readonly twins: readonly (Tensor | undefined)[];
  /** The number standing for a symbolic dim in this run of the node. */
  readonly standIn: (symbol: string) => number;
  /** The symbol whose stand-ins are `a` (first run) and `b` (second run), if any. */
  readonly symbolOf: (a: number, b: number) => string | undefined;
}

/** Reads a node's attributes with ONNX's defaults. */
export interface Attrs {
  /** True when the node sets the attribute. */
  readonly has: (name: string) => boolean;
  /** An int attribute, or `dflt`. */
  readonly int: (name: string, dflt: number) => number;
  /** An ints attribute, or `dflt`. */
  readonly ints: (name: string, dflt?: readonly number[]) => readonly number[] | undefined;
  /** A float attribute, or `dflt`. */
  readonly float: (name: string, dflt: number) => number;
  /** A floats attribute, if set. */
  readonly floats: (name: string) => readonly number[] | undefined;
  /** A string attribute (UTF-8), or `dflt`. */
  readonly string: (name: string, dflt: string) => string;
  /** A tensor attribute as a host tensor, if set. */
  readonly tensor: (name: string) => HostTensor | undefined;
}

/**
 * Turns one ONNX node into loom tensors (one per ONNX output). It builds the graph with
 * loom's public ops, which throw a LoomError on a bad shape; the importer catches it per node
 * and names the node, so a converter reads like the op's definition.
 */
export type Converter = (n: ConvertNode) => readonly Tensor[];

const decoder = new TextDecoder();

/** The attribute reader of one node. */
export const attrReader = (attrs: readonly AttributeProto[]): Attrs => {
  const byName = new Map(attrs.map((a) => [a.name ?? "", a]));
  return {
    has: (name) => byName.has(name),
    int: (name, dflt) => (byName.has(name) ? num(byName.get(name)!.i) : dflt),
    ints: (name, dflt) => byName.get(name)?.ints?.map(num) ?? dflt,
    float: (name, dflt) => (byName.has(name) ? (byName.get(name)!.f ?? 0) : dflt),
    floats: (name) => byName.get(name)?.floats ?? undefined,
    string: (name, dflt) => {
      const s = byName.get(name)?.s;
      return s ? decoder.decode(s) : dflt;
    },
    tensor: (name) => {
      const t = byName.get(name)?.t;
      return t ? orThrowLoom(hostFromProto(t)) : undefined;
    },
  };
};

const orThrowLoom = <A>(r: E.Either<LoomError, A>): A => {
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

/** A loom constant holding a host tensor's values. */
export const constantOf = (t: HostTensor): Tensor =>
  constant(Array.from(t.data), t.shape as number[], t.dtype);

/**
 * The values of a tensor that the graph fixes at import time (a Constant, an integer
 * initializer, a Shape's result and what is computed from them), found by loom's own
 * constant folding; `undefined` when they depend on an input.
 */
export const staticValues = (t: Tensor): readonly number[] | undefined => {
  const folded = isConstantNode(t)
    ? t
    : E.match(
        () => undefined,
        (g: { outputs: Readonly<Record<string, Tensor>> }) => g.outputs["v"],
      )(simplify(primitives).run(makeGraph({}, { v: t })));
  if (folded === undefined || !isConstantNode(folded)) return undefined;
  const data = constantData(folded);
  const size = numel(folded.shape as readonly number[]);
  return data.length === size ? data : Array.from({ length: size }, () => data[0]!);
};

/** A LoomError for what a converter cannot do, naming the op. */
export const unsupported = (n: ConvertNode, what: string): LoomError =>
  new LoomError("unsupported", n.opType, what);

/**
 * The values of input `i`, which this op needs at import time (a shape, axes, pads), or a
 * LoomError with code `unsupported` when they come from a graph input.
 */
export const needStatic = (n: ConvertNode, i: number, what: string): readonly number[] => {
  const t = n.inputs[i];
  if (n.twins[i] !== undefined)
    throw unsupported(
      n,
      `its ${what} (input ${i}) is computed from the size of a symbolic dim of an input, which loom knows only when the model runs; import with that dim fixed in the model's input`,
    );
  const v = t === undefined ? undefined : staticValues(t);
  if (v === undefined)
    throw unsupported(
      n,
      `its ${what} (input ${i}) must be known when the model is imported (a constant or an initializer), not computed from a graph input`,
    );
  return v;
};

/** Input `i`, which must be present. */
export const inputAt = (n: ConvertNode, i: number): Tensor => {
  const t = n.inputs[i];
  if (t === undefined)
    throw new LoomError("invalid_graph", n.opType, `node ${n.name} lacks its input ${i}`);
  return t;
};

/** The int list of an attribute (older opsets) or of a static input (newer ones), if either is given. */
export const intsFromAttrOrInput = (
  n: ConvertNode,
  attr: string,
  i: number,
): readonly number[] | undefined =>
  n.attrs.has(attr)
    ? n.attrs.ints(attr)
    : n.inputs[i] !== undefined
      ? needStatic(n, i, attr)
      : undefined;
