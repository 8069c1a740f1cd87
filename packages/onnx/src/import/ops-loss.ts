import type { Tensor } from "@loom/ops";
import * as L from "@loom/ops";
import type { ConvertNode, Converter } from "./context";
import { inputAt, unsupported } from "./context";

/** Moves axis 1 (the classes of `[N, C, d1, ...]`) to the end. */
const classesLast = (x: Tensor) => {
  const r = x.shape.length;
  return L.transpose(x, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]);
};

/**
 * ONNX's NegativeLogLikelihoodLoss on log-probabilities `[N, C, d...]` and int labels
 * `[N, d...]`: `-logp[label] * weight[label]`, 0 where the label is ignore_index; "mean"
 * divides by the sum of the weights of the labels kept.
 */
const nll = (n: ConvertNode, logp: Tensor, labels: Tensor, weight: Tensor | undefined): Tensor => {
  const reduction = n.attrs.string("reduction", "mean");
  if (!["mean", "sum", "none"].includes(reduction))
    throw unsupported(n, `reduction "${reduction}"`);
  const classes = logp.shape[1] as number;
  const ignore = n.attrs.has("ignore_index") ? n.attrs.int("ignore_index", 0) : undefined;
  const hot = L.oneHot(labels, classes, logp.dtype);
  const kept = ignore === undefined ? undefined : L.cast(L.ne(labels, ignore), logp.dtype);
  const w0 = weight === undefined ? undefined : L.sum(L.mul(hot, weight), [-1]);
  const w = kept === undefined ? w0 : w0 === undefined ? kept : L.mul(w0, kept);
  const picked = L.neg(L.sum(L.mul(hot, classesLast(logp)), [-1]));
  const loss = w === undefined ? picked : L.mul(picked, w);
  if (reduction === "none") return loss;
  if (reduction === "sum") return L.sum(loss);
  return w === undefined ? L.mean(loss) : L.div(L.sum(loss), L.sum(w));
};

const labelsOf = (n: ConvertNode) => L.cast(inputAt(n, 1), "int32");

/** Converters of ONNX's losses, by op type. */
export const lossConverters: Readonly<Record<string, Converter>> = {
  NegativeLogLikelihoodLoss: (n) => [nll(n, inputAt(n, 0), labelsOf(n), n.inputs[2])],
  SoftmaxCrossEntropyLoss: (n) => {
    const logp = L.logSoftmax(inputAt(n, 0), 1);
    const loss = nll(n, logp, labelsOf(n), n.inputs[2]);
    return n.outputCount > 1 ? [loss, logp] : [loss];
  },
};
