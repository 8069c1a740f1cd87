import type { Either } from "fp-ts/lib/Either.js";
import type { LoomError } from "./error";
import type { Expr } from "./expr";
import type { Attrs, Node, TensorType } from "./node";

/** How the fusion pass treats an op. */
export type FusionClass = "elementwise" | "movement" | "reduce" | "library" | "source";

/** The type rule of an op: the output type from the input types, or a LoomError saying what to change. */
export type InferRule<A extends Attrs> = (
  inputs: readonly TensorType[],
  attrs: A,
) => Either<LoomError, TensorType>;

/** What a VJP rule sees: the primal inputs and output, the op's attributes and the output cotangent. */
export interface VjpContext<A extends Attrs> {
  readonly inputs: readonly Node[];
  readonly out: Node;
  readonly attrs: A;
  readonly ct: Node;
}

/**
 * A VJP rule written in loom ops, so that its result can be differentiated again.
 * Returns one cotangent per input; `undefined` for inputs that get no gradient
 * (integer labels, random bits, index inputs).
 */
export type VjpRule<A extends Attrs> = (ctx: VjpContext<A>) => readonly (Node | undefined)[];

/** What an elementwise (or index-driven) scalar rule sees besides its argument expressions. */
export interface ScalarContext<A extends Attrs> {
  readonly attrs: A;
  readonly out: TensorType;
  readonly inputs: readonly TensorType[];
  /** The output multi-index, one int32 expression per axis (used by `iota`). */
  readonly idx: readonly Expr[];
}

/**
 * What a movement rule sees: the output multi-index and a reader that loads input `i` at a
 * multi-index (the rule supplies validity, e.g. pad's `where(inside, read, value)`).
 */
export interface GatherContext<A extends Attrs> {
  readonly attrs: A;
  readonly out: TensorType & { readonly shape: readonly number[] };
  readonly inputs: readonly (TensorType & { readonly shape: readonly number[] })[];
  readonly idx: readonly Expr[];
  /** Loads input `input` at a multi-index. */
  readonly read: (input: number, idx: readonly Expr[]) => Expr;
}

interface OpDefBase<A extends Attrs> {
  readonly name: string;
  readonly infer: InferRule<A>;
  readonly vjp: VjpRule<A>;
}

/** An elementwise op: output element i is `scalar(inputs[k][i]...)`; all inputs share the output's shape. */
export interface ElementwiseDef<A extends Attrs> extends OpDefBase<A> {
  readonly fusion: "elementwise";
  /** The output element as an expression of the inputs' elements at the same index. */
  readonly scalar: (args: readonly Expr[], ctx: ScalarContext<A>) => Expr;
}

/** A movement op: a view whose output element is a gather from its inputs by index arithmetic. */
export interface MovementDef<A extends Attrs> extends OpDefBase<A> {
  readonly fusion: "movement";
  /** The output element at `ctx.idx` as reads of the inputs. */
  readonly gather: (ctx: GatherContext<A>) => Expr;
}

/** A reduction over `attrs.axes` (with `attrs.keepdims`) of one input. */
export interface ReduceDef<A extends Attrs> extends OpDefBase<A> {
  readonly fusion: "reduce";
  readonly reduceOp: "sum" | "max";
}

/** An op with a hand-written kernel per backend (matmul, convolution, pooling). */
export interface LibraryDef<A extends Attrs> extends OpDefBase<A> {
  readonly fusion: "library";
  /**
   * The input whose memory the output may take over when that input dies here (same shape
   * and element size): every backend's kernel for this op must read what it needs of that
   * input before writing over it. Absent: the output never aliases an input.
   */
  readonly overwrites?: number;
}

/** A leaf: a graph input or a constant. */
export interface SourceDef<A extends Attrs> extends OpDefBase<A> {
  readonly fusion: "source";
}

/** Everything loom knows about one primitive. */
export type OpDef<A extends Attrs = Attrs> =
  ElementwiseDef<A> | MovementDef<A> | ReduceDef<A> | LibraryDef<A> | SourceDef<A>;

/** The op table handed to the passes that need it; `ops` owns the complete one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OpTable = Readonly<Record<string, OpDef<any>>>;
