/**
 * The Node-only part of `@loom/onnx`: the runner of ONNX's backend test data, which reads
 * test directories from disk.
 *
 * @module \@loom/onnx/node
 */
export * from "./backend-tests/compare";
export * from "./backend-tests/run-case";
export * from "./backend-tests/load-cases";
export * from "./backend-tests/report";
export * from "./backend-tests/run-all";
