import type { DType } from "./dtype";
import type { Shape } from "./shape";

/** JSON-serialisable attribute values. */
export type AttrValue =
  number | string | boolean | null | readonly AttrValue[] | { readonly [k: string]: AttrValue };

/** An op's attributes: a plain, JSON-serialisable object. */
export type Attrs = { readonly [k: string]: AttrValue };

/** The static type of a tensor: its shape and element type. */
export interface TensorType {
  readonly shape: Shape;
  readonly dtype: DType;
}

/**
 * A node of the IR: a frozen plain object. Identity is the object itself; nodes are
 * never mutated, and passes return new nodes.
 */
export interface Node extends TensorType {
  readonly op: string;
  readonly inputs: readonly Node[];
  readonly attrs: Attrs;
  /**
   * The layer this node came from, as a pytree path prefix (`conv1`, `layer1.0.conv2`), for
   * inspection only: passes carry it, nothing computes with it, and graph keys ignore it.
   */
  readonly path?: string;
}

/** Builds a frozen node. Callers are expected to have checked the type via the op's rule. */
export const freezeNode = (
  op: string,
  inputs: readonly Node[],
  attrs: Attrs,
  type: TensorType & { readonly path?: string | undefined },
): Node =>
  Object.freeze({
    op,
    inputs: Object.freeze([...inputs]),
    attrs: Object.freeze({ ...attrs }),
    shape: Object.freeze([...type.shape]),
    dtype: type.dtype,
    // Absent rather than undefined, so nodes without provenance compare equal to hand-built ones.
    ...(type.path === undefined ? {} : { path: type.path }),
  });

/** The same node labelled with a layer path (the node itself when it already has that path). */
export const withPath = (n: Node, path: string | undefined): Node =>
  path === undefined || n.path === path ? n : freezeNode(n.op, n.inputs, n.attrs, { ...n, path });

/** Ops that only rearrange their one input: a view of a parameter still names its layer. */
const VIEWS: ReadonlySet<string> = new Set([
  "reshape",
  "transpose",
  "broadcast",
  "slice",
  "pad",
  "flip",
  "cast",
]);

/** The layer of the graph input a node is, or is a view of (`transpose(params.fc1.w)` is fc1's). */
const inputPath = (n: Node): string | undefined =>
  n.op === "input"
    ? n.path
    : VIEWS.has(n.op) && n.inputs.length === 1
      ? inputPath(n.inputs[0]!)
      : undefined;

/**
 * The layer path a new node inherits from its inputs: that of a graph input it reads, directly
 * or through a view (a parameter names its layer, and `x @ transpose(w)` is w's layer's), else
 * that of its first labelled input, so an activation or a pooling belongs to the layer whose
 * output it reads.
 */
export const inheritedPath = (inputs: readonly Node[]): string | undefined =>
  inputs.map(inputPath).find((p) => p !== undefined) ?? inputs.find((i) => i.path)?.path;
