/**
 * The IR, the op-definition interface, passes and printers.
 *
 * @module \@loom/graph
 */
export * from "./dtype";
export * from "./error";
export * from "./own";
export * from "./expr";
export * from "./graph";
export * from "./node";
export * from "./op-def";
export * from "./shape";
export * from "./passes/pass";
export * from "./passes/validate";
export * from "./passes/infer-shapes";
export * from "./passes/dce";
export * from "./print/text";
export * from "./print/dot";
export * from "./print/json";
export * from "./plan";
export * from "./provenance";
export * from "./library-call";
export * from "./sources";
export * from "./backend";
export * from "./device";
export * from "./feeds";
export * from "./lower/unfused";
export * from "./autodiff";
export * from "./threefry";
export * from "./alu-semantics";
export * from "./fuse/index-simplify";
export * from "./fuse/fuse";
export * from "./memory/liveness";
export * from "./memory/plan-memory";
export * from "./memory/schedule";
export * from "./memory/check-no-overlap";
export * from "./pipeline/stage";
export * from "./pipeline/run";
export * from "./pipeline/validate-plan";
export * from "./executable-cache";
export * from "./passes/fold";
export * from "./passes/identities";
export * from "./passes/rewrite-helpers";
export * from "./passes/cse";
export * from "./passes/simplify";
export * from "./print/plan";
export * from "./codegen/walk-expr";
