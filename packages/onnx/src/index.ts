/**
 * ONNX in and out: import ONNX models as pure loom functions, export traced loom graphs to
 * ONNX, and read ONNX's protobufs.
 *
 * @module \@loom/onnx
 */
export * from "./proto";
export * from "./import/context";
export * from "./import/converters";
export * from "./import/import-model";
export * from "./import/param-tree";
export * from "./export/emit";
export * from "./export/op-exporters";
export * from "./export/export-graph";
export * from "./export/export-layer";
export * from "./import/as-layer";
