import { LoomError } from "@loom/graph";
import { nn } from "@loom/ops";
import type { InitName } from "./lenet";

/** Options of the multi-layer perceptron. */
export interface MlpOptions {
  /** Hidden layer widths; the default is 784-256-128-10's 256 and 128. */
  readonly hidden?: readonly number[];
  readonly classes?: number;
  readonly activation?: "relu" | "tanh" | "sigmoid";
  /** Dropout rate after each hidden activation (0 = none). */
  readonly dropout?: number;
  /** Batch normalisation after each hidden dense layer. */
  readonly batchNorm?: boolean;
  /** Weight initializer of the dense layers (default: He uniform, for the ReLUs). */
  readonly init?: InitName;
}

const ACTIVATIONS = { relu: nn.relu, tanh: nn.tanh, sigmoid: nn.sigmoid } as const;

/** A multi-layer perceptron: flatten, then dense/activation blocks named fc1, act1, ..., and an output layer `out`. */
export const mlp = (opts: MlpOptions = {}): nn.Layer => {
  const hidden = opts.hidden ?? [256, 128];
  const act = ACTIVATIONS[opts.activation ?? "relu"];
  if (act === undefined)
    throw new LoomError(
      "invalid_argument",
      "mlp",
      `unknown activation ${opts.activation}; use relu, tanh or sigmoid`,
    );
  const w = { kernelInit: nn.INITIALIZERS[opts.init ?? "heUniform"] };
  const layers: Record<string, nn.Layer> = { flatten: nn.flatten() };
  hidden.forEach((units, i) => {
    layers[`fc${i + 1}`] = nn.dense(units, w);
    if (opts.batchNorm) layers[`bn${i + 1}`] = nn.batchNorm();
    layers[`act${i + 1}`] = act();
    if (opts.dropout) layers[`drop${i + 1}`] = nn.dropout(opts.dropout);
  });
  layers["out"] = nn.dense(opts.classes ?? 10, w);
  return nn.sequential(layers);
};
