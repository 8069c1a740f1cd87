/** `fit`'s early stopping: patience in epochs, and the improvement that counts. */
export interface EarlyStopping {
  /** Epochs without improvement of the validation loss before stopping. */
  readonly patience: number;
  /** The smallest decrease of the validation loss that counts as an improvement (default 0). */
  readonly minDelta?: number;
}

/**
 * Why an early stopping cannot stop a run, or undefined when it can: it watches the validation
 * loss, so it needs validation data, and it stops only after `patience` epochs without
 * improvement following the first one, so a run of `patience` epochs or fewer always ends first.
 */
export const earlyStoppingWarning = (
  es: EarlyStopping | undefined,
  val: unknown,
  epochsToRun: number,
): string | undefined => {
  if (es === undefined) return undefined;
  if (val === undefined)
    return "fit: earlyStopping watches the validation loss, but no validation data was given (val): it cannot stop this run; pass val (e.g. splitValidation(train, 1000))";
  if (epochsToRun <= es.patience)
    return `fit: earlyStopping's patience (${es.patience}) is not below the epochs to run (${epochsToRun}): it cannot stop this run; train for more epochs or lower the patience`;
  return undefined;
};
