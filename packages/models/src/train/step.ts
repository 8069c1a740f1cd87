import type { Tensor, Tree, nn } from "@loom/ops";
import { LoomError } from "@loom/graph";
import {
  add,
  broadcastTo,
  scalar,
  argmax,
  cast,
  eq,
  foldIn,
  mul,
  optim,
  softmaxCrossEntropy,
  sum,
  valueAndGradWithAux,
} from "@loom/ops";

/** A loss from model outputs and labels (class indices or float targets); the mean over the batch. */
export type LossFn = (logits: Tensor, labels: Tensor) => Tensor;

/** What a training step is made of. */
export interface StepSetup {
  readonly model: nn.Layer;
  readonly optimizer: optim.GradientTransformation;
  /** Defaults to softmax cross-entropy with integer labels; float targets (regression) need one, e.g. `mse`. */
  readonly loss?: LossFn;
  /** Data augmentation applied to each training batch in the graph (keyed, so reproducible). */
  readonly augment?: (key: Tensor, x: Tensor) => Tensor;
  /** A penalty on the params added to the objective (L1/L2), not to the reported loss. */
  readonly regularizer?: (params: Tree<Tensor>) => Tensor;
}

// Augmentation draws from its own stream of the step key, apart from dropout's.
const AUGMENT_STREAM = 0x41554721;

/** The number of rows whose arg-max equals the label, as f32. */
export const countCorrect = (logits: Tensor, labels: Tensor): Tensor =>
  sum(cast(eq(argmax(logits, -1), labels), "float32"));

/** True when `labels` are class indices of `logits`' rows (int32, one rank less): accuracy applies. */
export const isClassification = (logits: Tensor, labels: Tensor): boolean =>
  labels.dtype === "int32" && logits.shape.length === labels.shape.length + 1;

/** The loss of a step: the given one, or cross-entropy for class labels; float targets must name one. */
const lossOf = (setup: Pick<StepSetup, "loss">, labels: Tensor): LossFn => {
  if (setup.loss !== undefined) return setup.loss;
  if (labels.dtype !== "int32")
    throw new LoomError(
      "invalid_argument",
      "trainStep",
      `labels are ${labels.dtype} targets, not class indices: pass a loss for them, e.g. { loss: mse }`,
      [labels.shape],
    );
  return softmaxCrossEntropy;
};

/** `{ correct }` (rows whose arg-max is the label) for class labels, nothing for regression targets. */
const accuracyOutputs = (logits: Tensor, labels: Tensor): { correct?: Tensor } =>
  isClassification(logits, labels) ? { correct: countCorrect(logits, labels) } : {};

/** `specsOf` moved to `@loom/ops`; re-exported here so that existing imports keep working. */
export { specsOf } from "@loom/ops";

/**
 * One training step as a pure function of tensors: forward in training mode, loss, backward,
 * optimizer update and the new model state. Traced once, it is ONE graph: the executable
 * that runs every batch. The step's dropout key is `foldIn(key, step)`.
 */
export const trainStep =
  (setup: StepSetup) =>
  (io: {
    params: Tree<Tensor>;
    state: Tree<Tensor>;
    optState: Tree<Tensor>;
    x: Tensor;
    y: Tensor;
    key: Tensor;
    step: Tensor;
  }) => {
    const lossFn = lossOf(setup, io.y);
    const stepKey = foldIn(io.key, io.step);
    const x =
      setup.augment === undefined ? io.x : setup.augment(foldIn(stepKey, AUGMENT_STREAM), io.x);
    const { aux, grad } = valueAndGradWithAux((p: Tree<Tensor>) => {
      const r = setup.model.apply(p, io.state, x, { training: true, key: stepKey });
      const loss = lossFn(r.y, io.y);
      const objective = setup.regularizer === undefined ? loss : add(loss, setup.regularizer(p));
      return { loss: objective, aux: { loss, logits: r.y, state: r.state } };
    })(io.params);
    const { updates, state: optState } = setup.optimizer.update(grad, io.optState, io.params);
    const params = optim.applyUpdates(io.params, updates);
    return {
      params,
      state: aux.state,
      optState,
      loss: aux.loss,
      ...accuracyOutputs(aux.logits, io.y),
    };
  };

/** An evaluation step: inference-mode forward, the summed loss and (for class labels) the number correct. */
export const evalStep =
  (setup: Pick<StepSetup, "model" | "loss">) =>
  (io: { params: Tree<Tensor>; state: Tree<Tensor>; x: Tensor; y: Tensor }) => {
    const lossFn = lossOf(setup, io.y);
    const { y: logits } = setup.model.apply(io.params, io.state, io.x, { training: false });
    // The batch size as a tensor, so one graph serves a symbolic batch "N".
    const batch = sum(broadcastTo(scalar(1, "float32"), [io.y.shape[0]!]));
    return {
      lossSum: mul(lossFn(logits, io.y), batch),
      ...accuracyOutputs(logits, io.y),
      logits,
    };
  };
