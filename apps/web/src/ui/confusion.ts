/** A confusion matrix and per-class accuracy of predictions against labels (tfjs-vis shows both). */

/** Counts of (true class, predicted class), and each class's accuracy (recall). */
export interface Confusion {
  readonly classes: number;
  /** `counts[t * classes + p]`: digits of class t predicted as p. */
  readonly counts: Uint32Array;
  /** Per true class: how many there are and the fraction predicted right (NaN for none). */
  readonly perClass: readonly { readonly count: number; readonly accuracy: number }[];
}

/** The confusion matrix of `predictions` against `labels`, both class indices in [0, classes). */
export const confusionOf = (
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  classes = 10,
): Confusion => {
  const counts = new Uint32Array(classes * classes);
  for (let i = 0; i < labels.length; i++) counts[labels[i]! * classes + predictions[i]!]!++;
  const perClass = Array.from({ length: classes }, (_, t) => {
    let count = 0;
    for (let p = 0; p < classes; p++) count += counts[t * classes + p]!;
    return { count, accuracy: count === 0 ? NaN : counts[t * classes + t]! / count };
  });
  return { classes, counts, perClass };
};
