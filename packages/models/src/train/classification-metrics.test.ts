import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import { hostTensor } from "@loom/ops";
import { confusionMatrix, precisionRecallF1, topKAccuracy } from "./classification-metrics";

// Reference values: the examples of scikit-learn's documentation (precision_recall_fscore_support,
// top_k_accuracy_score, confusion_matrix), recomputed by hand in the comments.
const yTrue = [0, 1, 2, 0, 1, 2];
const yPred = [0, 2, 1, 0, 0, 1];

describe("classification metrics", () => {
  it("confusion matrix: rows are labels, columns predictions", () => {
    expect(confusionMatrix(yPred, yTrue, 3)).toEqual([
      [2, 0, 0],
      [1, 0, 1],
      [0, 2, 0],
    ]);
    // From scores: the arg-max of each row is the prediction (1, 0, 0 for labels 1, 1, 0).
    const scores = hostTensor([0.1, 0.9, 0.5, 0.2, 0.3, 0.1], [3, 2]);
    expect(confusionMatrix(scores, [1, 1, 0])).toEqual([
      [1, 0],
      [1, 1],
    ]);
  });

  it("precision, recall and F1 as sklearn's macro, weighted and micro averages", () => {
    const m = confusionMatrix(yPred, yTrue, 3);
    // Class 0: precision 2/3, recall 1, F1 0.8; classes 1 and 2: all 0.
    const macro = precisionRecallF1(m, "macro");
    expect(macro.precision).toBeCloseTo(0.2222222, 6);
    expect(macro.recall).toBeCloseTo(0.3333333, 6);
    expect(macro.f1).toBeCloseTo(0.2666667, 6);
    expect(macro.perClass[0]).toEqual({ precision: 2 / 3, recall: 1, f1: 0.8 });
    const weighted = precisionRecallF1(m, "weighted");
    expect(weighted.precision).toBeCloseTo(0.2222222, 6);
    expect(weighted.f1).toBeCloseTo(0.2666667, 6);
    const micro = precisionRecallF1(m, "micro");
    expect([micro.precision, micro.recall, micro.f1]).toEqual([1 / 3, 1 / 3, 1 / 3]);
    // Unequal supports make weighted differ from macro: 3 examples of class 0 (all right), 1 of
    // class 1 (predicted 0). Class 0: p 3/4, r 1, F1 6/7; class 1: 0. Weighted F1 = 3/4 * 6/7.
    const u = precisionRecallF1(confusionMatrix([0, 0, 0, 0], [0, 0, 0, 1], 2), "weighted");
    expect(u.f1).toBeCloseTo((3 / 4) * (6 / 7), 12);
    expect(precisionRecallF1(confusionMatrix([0, 0, 0, 0], [0, 0, 0, 1], 2)).f1).toBeCloseTo(
      3 / 7,
      12,
    );
  });

  it("top-k accuracy (sklearn's example: 0.75 at k = 2)", () => {
    const scores = hostTensor([0.5, 0.2, 0.2, 0.3, 0.4, 0.2, 0.2, 0.4, 0.3, 0.7, 0.2, 0.1], [4, 3]);
    expect(topKAccuracy(scores, [0, 1, 2, 2], 2)).toBe(0.75);
    expect(topKAccuracy(scores, [0, 1, 2, 2], 1)).toBe(0.5);
    expect(topKAccuracy(scores, [0, 1, 2, 2], 3)).toBe(1);
  });

  it("refuses mismatched shapes and labels out of range", () => {
    const scores = hostTensor([1, 2, 3, 4], [2, 2]);
    expect(() => topKAccuracy(scores, [0], 1)).toThrow(LoomError);
    expect(() => topKAccuracy(scores, [0, 1], 3)).toThrow(/k must be in \[1, 2\]/);
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/label 3 of example 1/);
  });
});
