/**
 * What the worker computes about digits with a model: the test digits' metrics and
 * predictions and a softmax.
 */
import type { Backend, HostTensor } from "@loom/graph";
import type { Dataset, ModelVars } from "@loom/models/browser";
import { batchOf, evalStep, specsOf } from "@loom/models/browser";
import type { nn } from "@loom/ops";
import { compile } from "@loom/ops";
import type { TestResult } from "../protocol";

/** The input shape of every model the app holds: one 28x28 grey image. */
export const DIGIT = [1, 28, 28] as const;

/** Softmax of one row of logits, in float64. */
export const softmaxRow = (logits: ArrayLike<number>): Float32Array => {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const e = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i]! - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return Float32Array.from(e, (v) => v / sum);
};

/**
 * A model's loss, accuracy and per-digit predictions on a dataset, with `evalStep` (so the
 * metrics are exactly `evaluate`'s), in batches of 500.
 */
export const testModel = async (
  backend: Backend,
  layer: nn.Layer,
  vars: ModelVars,
  data: Dataset,
): Promise<TestResult> => {
  const f = compile(backend, evalStep({ model: layer }), {
    params: specsOf(vars.params),
    state: specsOf(vars.state),
    x: { shape: ["N", ...DIGIT] },
    y: { shape: ["N"], dtype: "int32" },
  });
  const n = data.count;
  const predictions = new Uint8Array(n);
  const confidence = new Float32Array(n);
  let lossSum = 0;
  let correct = 0;
  const batch = 500;
  for (let b = 0; b < n; b += batch) {
    const idx = Array.from({ length: Math.min(batch, n - b) }, (_, i) => b + i);
    const { x, y } = batchOf(data, idx);
    const out = (await f.run({
      params: vars.params,
      state: vars.state,
      x,
      y,
    } as never)) as unknown as { lossSum: HostTensor; correct: HostTensor; logits: HostTensor };
    lossSum += out.lossSum.data[0]!;
    correct += out.correct.data[0]!;
    const classes = out.logits.shape[1]!;
    idx.forEach((d, k) => {
      const p = softmaxRow(out.logits.data.subarray(k * classes, (k + 1) * classes));
      let best = 0;
      for (let c = 1; c < classes; c++) if (p[c]! > p[best]!) best = c;
      predictions[d] = best;
      confidence[d] = p[best]!;
    });
  }
  return { loss: lossSum / n, accuracy: correct / n, predictions, confidence };
};
