import type { Either } from "fp-ts/lib/Either.js";
import type { LoomError } from "./error";
import type { Expr } from "./expr";
import type { LibraryCall } from "./library-call";
import type { Attrs, Node, TensorType } from "./node";

/** How the fusion pass treats an op. */
export type FusionClass = "elementwise" | "movement" | "reduce" | "library" | "source";

/** The type rule of an op: the output type from the input types, or a LoomError saying what to change. */
export type InferRule<A extends Attrs> = (
  inputs: readonly TensorType[],
  attrs: A,
) => Either<LoomError, TensorType>;

/**
 * Builds a node through the op table's rules, throwing the rule's LoomError (autodiff, which
 * calls the VJP rules, reports it). It reaches a rule through its context so that an op's
 * file need not import the table, which imports every op's file.
 */
export type BuildNode = (op: string, inputs: readonly Node[], attrs?: Attrs) => Node;

/**
 * What a VJP rule sees: the primal inputs and output, the op's attributes, the output
 * cotangent, and `prim` to build the cotangents' nodes.
 */
export interface VjpContext<A extends Attrs> {
  readonly inputs: readonly Node[];
  readonly out: Node;
  readonly attrs: A;
  readonly ct: Node;
  readonly prim: BuildNode;
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

/**
 * What an algebraic rewrite rule sees: the node (its inputs already simplified), its
 * attributes, and a builder checked by the op table's rules (so a rule may emit other ops
 * without importing the table).
 */
export interface RewriteContext<A extends Attrs> {
  readonly node: Node;
  readonly attrs: A;
  /** Builds `op(inputs)` through the table's type rules. */
  readonly apply: (op: string, inputs: readonly Node[], attrs?: Attrs) => Either<LoomError, Node>;
  /** `x` when it has the node's shape and dtype (so no user sees a type change), else undefined. */
  readonly keep: (x: Node | undefined) => Node | undefined;
  /** The node's own op rebuilt over `x` with `attrs`, when the result has the node's type. */
  readonly remake: (x: Node, attrs: Attrs) => Node | undefined;
}

/**
 * An op's declared algebraic identities: a simpler node equal to `ctx.node`, or undefined.
 * Rules must be exact (bit-identical results, NaN and signed zeros included).
 */
export type RewriteRule<A extends Attrs> = (ctx: RewriteContext<A>) => Node | undefined;

// The rules below are declared as methods, not function-typed properties: method parameters
// are bivariant, so `OpDef<Conv2dAttrs>` is assignable to `OpDef<Attrs>` and the complete,
// mapped op table (ops' `primitives`) can be handed to graph passes as an `OpTable` without
// `any`. A pass holds nodes whose attrs are the generic bag; the op's type rule has validated
// them against `A` when the node was built, so calling a rule with `n.attrs` is sound.
interface OpDefBase<A extends Attrs> {
  readonly name: string;
  /** The output type from the input types, or a LoomError saying what to change. */
  infer(inputs: readonly TensorType[], attrs: A): Either<LoomError, TensorType>;
  /** One cotangent per input (`undefined` where none flows), built from loom ops. */
  vjp(ctx: VjpContext<A>): readonly (Node | undefined)[];
  /** Declared algebraic identities, asked by the simplifier (absent: none). */
  simplify?(ctx: RewriteContext<A>): Node | undefined;
}

/** An elementwise op: output element i is `scalar(inputs[k][i]...)`; all inputs share the output's shape. */
export interface ElementwiseDef<A extends Attrs> extends OpDefBase<A> {
  readonly fusion: "elementwise";
  /** The output element as an expression of the inputs' elements at the same index. */
  scalar(args: readonly Expr[], ctx: ScalarContext<A>): Expr;
}

/** A movement op: a view whose output element is a gather from its inputs by index arithmetic. */
export interface MovementDef<A extends Attrs> extends OpDefBase<A> {
  readonly fusion: "movement";
  /** The output element at `ctx.idx` as reads of the inputs. */
  gather(ctx: GatherContext<A>): Expr;
  /**
   * The output is the input's bytes in the same order (a reshape): a library kernel reads the
   * input's buffer in place with the output's shape.
   */
  readonly sameBytes?: boolean;
  /**
   * True when this node swaps the last two axes only: a library kernel that can read an
   * operand transposed (`LibraryDef.readTransposed`) reads the input in place.
   */
  swapsLastTwo?(attrs: A): boolean;
}

/** Which axes a reduction reduces (negative counts from the end) and whether it keeps them as size 1. */
export interface Reduction {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

/** A reduction of one input over some of its axes. */
export interface ReduceDef<A extends Attrs> extends OpDefBase<A> {
  readonly fusion: "reduce";
  readonly reduceOp: "sum" | "max";
  /** The reduced axes, from the op's validated attributes. */
  reduction(attrs: A): Reduction;
}

/** An op with a hand-written kernel per backend (matmul, convolution, pooling). */
export interface LibraryDef<
  A extends Attrs,
  C extends LibraryCall = LibraryCall,
> extends OpDefBase<A> {
  readonly fusion: "library";
  /** The typed call a backend runs for a node of this op. */
  libraryCall(attrs: A): C;
  /**
   * The call reading operand `input` stored with its last two axes swapped (matmul's
   * `transA`/`transB`), or undefined when the kernel cannot; absent: never.
   */
  readTransposed?(call: C, input: number): C | undefined;
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

/**
 * A complete op table over a map from op names to attribute types: a mapped type, so an op
 * without a definition is a type error (`ops` declares `primitives` with it).
 */
export type OpTableOf<M extends { readonly [op: string]: Attrs }> = {
  readonly [P in keyof M]: OpDef<M[P]>;
};

/**
 * The op table as graph passes see it: any name, attributes as the generic bag. Passes are
 * written against this view rather than generic over `M` because they look ops up by a
 * node's `op` string, which is a `string`; every `OpTableOf<M>` is assignable to it (see the
 * note on `OpDefBase`), so no `any` reaches a pass.
 */
export type OpTable = Readonly<Record<string, OpDef>>;
