import type { HostTensor } from "@loom/graph";
import { formatShape, LoomError } from "@loom/graph";

/** A classifier's scores `[N, C]` on the host (what `predict` returns) as rows. */
const rowsOf = (op: string, logits: HostTensor, labels: ArrayLike<number>) => {
  const [n, c] = logits.shape;
  if (logits.shape.length !== 2 || n !== labels.length)
    throw new LoomError(
      "shape_mismatch",
      op,
      `expects scores [N, C] and N labels, got ${formatShape(logits.shape)} and ${labels.length} labels`,
      [logits.shape, [labels.length]],
    );
  return { n: n!, c: c!, row: (i: number) => logits.data.subarray(i * c!, (i + 1) * c!) };
};

const checkLabel = (op: string, v: number, i: number, classes: number): number => {
  if (!(Number.isInteger(v) && v >= 0 && v < classes))
    throw new LoomError(
      "invalid_argument",
      op,
      `label ${v} of example ${i} is not a class index in [0, ${classes})`,
    );
  return v;
};

/**
 * The fraction of examples whose label is among the `k` highest scores of its row (top-1 is
 * accuracy). Ties go to the lower class index, as arg-max does.
 */
export const topKAccuracy = (logits: HostTensor, labels: ArrayLike<number>, k: number): number => {
  const { n, c, row } = rowsOf("topKAccuracy", logits, labels);
  if (!(Number.isInteger(k) && k >= 1 && k <= c))
    throw new LoomError("invalid_argument", "topKAccuracy", `k must be in [1, ${c}], got ${k}`);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const r = row(i);
    const y = checkLabel("topKAccuracy", labels[i]!, i, c);
    // Classes ranked above the label: higher score, or equal score at a lower index.
    let above = 0;
    for (let j = 0; j < c; j++) if (r[j]! > r[y]! || (r[j] === r[y] && j < y)) above++;
    if (above < k) hits++;
  }
  return n === 0 ? NaN : hits / n;
};

/**
 * The confusion matrix `m[true][predicted]` (sklearn's convention: rows are labels) of a
 * classifier's scores `[N, C]` (prediction: the arg-max) or of predicted classes.
 */
export const confusionMatrix = (
  predictions: HostTensor | ArrayLike<number>,
  labels: ArrayLike<number>,
  classes?: number,
): number[][] => {
  const scores = "shape" in predictions && "data" in predictions ? predictions : undefined;
  const c = scores ? rowsOf("confusionMatrix", scores, labels).c : classes;
  if (c === undefined)
    throw new LoomError(
      "invalid_argument",
      "confusionMatrix",
      "give scores [N, C], or predicted classes and the number of classes",
    );
  const m = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  for (let i = 0; i < labels.length; i++) {
    let p: number;
    if (scores) {
      const r = scores.data.subarray(i * c, (i + 1) * c);
      p = 0;
      for (let j = 1; j < c; j++) if (r[j]! > r[p]!) p = j;
    } else p = checkLabel("confusionMatrix", (predictions as ArrayLike<number>)[i]!, i, c);
    m[checkLabel("confusionMatrix", labels[i]!, i, c)]![p]!++;
  }
  return m;
};

/** Precision, recall and F1, per class or averaged. */
export interface PrecisionRecallF1 {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/** How to average per-class scores (sklearn's `average`). */
export type Average = "macro" | "micro" | "weighted";

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/**
 * Per-class precision, recall and F1 from a confusion matrix (`perClass`), and their average:
 * `macro` (the unweighted mean over classes), `weighted` (weighted by each class's support) or
 * `micro` (from the summed counts: equal to accuracy for single-label problems). A class with no
 * predictions (or no examples) scores 0, as sklearn's `zero_division=0`.
 */
export const precisionRecallF1 = (
  confusion: readonly (readonly number[])[],
  average: Average = "macro",
): PrecisionRecallF1 & { readonly perClass: readonly PrecisionRecallF1[] } => {
  const c = confusion.length;
  const col = (j: number) => confusion.reduce((s, r) => s + r[j]!, 0);
  const support = confusion.map((r) => r.reduce((a, b) => a + b, 0));
  const perClass = confusion.map((r, j) => {
    const tp = r[j]!;
    const precision = ratio(tp, col(j));
    const recall = ratio(tp, support[j]!);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall) };
  });
  const total = support.reduce((a, b) => a + b, 0);
  if (average === "micro") {
    const tp = confusion.reduce((s, r, j) => s + r[j]!, 0);
    const p = ratio(tp, total);
    return { precision: p, recall: p, f1: p, perClass };
  }
  const w = (j: number) => (average === "weighted" ? ratio(support[j]!, total) : 1 / c);
  const mean = (k: keyof PrecisionRecallF1) => perClass.reduce((s, m, j) => s + m[k] * w(j), 0);
  return { precision: mean("precision"), recall: mean("recall"), f1: mean("f1"), perClass };
};
