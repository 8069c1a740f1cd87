import type { Converter } from "./context";
import { elementwiseConverters } from "./ops-elementwise";
import { lossConverters } from "./ops-loss";
import { movementConverters } from "./ops-movement";
import { nnConverters } from "./ops-nn";
import { reduceConverters } from "./ops-reduce";

/** Every ONNX op (default domain) the importer converts, by op type. */
export const converters: Readonly<Record<string, Converter>> = {
  ...elementwiseConverters,
  ...nnConverters,
  ...movementConverters,
  ...reduceConverters,
  ...lossConverters,
};

/** The ONNX op types loom imports, sorted. */
export const supportedOps = (): readonly string[] => Object.keys(converters).sort();
