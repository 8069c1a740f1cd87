import type { DType } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { isTensor, scalar } from "../core";
import { add, cast, cos, div, exp, floor, minimum, mul, neg, pow } from "../api/elementwise";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";
import { mapTree } from "../pytree";
import type { GradientTransformation } from "./transform";
import { checkHyper, initialStep, stateScalar } from "./transform";

/**
 * A learning-rate schedule: the rate as a symbolic function of `step`, the scalar count of
 * updates done so far (t = 0 for the first update), so that it compiles into the training
 * step. The result has the dtype of `step`; optimizers pass `step` cast to the params' dtype.
 */
export type Schedule = (step: Tensor) => Tensor;

/** A learning rate: a number or a schedule. */
export type LearningRate = number | Schedule;

/** `eta` at every step. */
export const constant = (eta: number): Schedule => {
  checkHyper("constant", "eta", eta, () => true, "a finite number");
  return (t) => scalar(eta, t.dtype);
};

/**
 * The decay of {@link exponentialDecay}, in one of three parametrisations: PyTorch's
 * ExponentialLR (`gamma`: `eta0 * gamma^t`), Keras' ExponentialDecay (`decayRate` per
 * `decaySteps`: `eta0 * decayRate^(t / decaySteps)`), or a continuous rate (`rate`: `eta0 *
 * exp(-rate t)`). Give exactly one of `gamma`, `decayRate`, `rate`.
 */
export interface ExponentialDecayOptions {
  readonly gamma?: number;
  readonly decayRate?: number;
  /** Steps per factor of `decayRate` (Keras' decay_steps, default 1). */
  readonly decaySteps?: number;
  readonly rate?: number;
}

const EXP_KEYS: OptionKeys<ExponentialDecayOptions> = {
  gamma: true,
  decayRate: true,
  decaySteps: true,
  rate: true,
};

const onlyOne = (op: string, opts: object, names: readonly string[]): string => {
  const given = names.filter((n) => (opts as Record<string, unknown>)[n] !== undefined);
  if (given.length !== 1) {
    throw new LoomError(
      "invalid_argument",
      op,
      `give exactly one of ${names.join(", ")}, got ${given.length === 0 ? "none" : given.join(" and ")}`,
    );
  }
  return given[0]!;
};

/**
 * Exponential decay. `exponentialDecay(eta0, k)` is `eta0 * exp(-k t)` (a continuous rate);
 * `exponentialDecay(eta0, { gamma })` is torch.optim.lr_scheduler.ExponentialLR,
 * `eta0 * gamma^t`, so PyTorch recipes port literally; `{ decayRate, decaySteps }` is Keras'
 * ExponentialDecay (without staircase: see {@link stepDecay}). `gamma = exp(-k)`.
 */
export const exponentialDecay = (eta0: number, k: number | ExponentialDecayOptions): Schedule => {
  const op = "exponentialDecay";
  checkHyper(op, "eta0", eta0, () => true, "a finite number");
  if (typeof k === "number") {
    checkHyper(op, "k", k, () => true, "a finite number");
    return (t) => mul(exp(mul(t, -k)), eta0);
  }
  checkOptions(op, k, EXP_KEYS);
  const which = onlyOne(op, k, ["gamma", "decayRate", "rate"]);
  if (which === "rate") return exponentialDecay(eta0, k.rate!);
  const steps = k.decaySteps ?? 1;
  if (k.decaySteps !== undefined && which !== "decayRate") {
    throw new LoomError("invalid_argument", op, "decaySteps goes with decayRate (Keras' form)");
  }
  checkHyper(op, "decaySteps", steps, (v) => v > 0, "a number > 0");
  const base = which === "gamma" ? k.gamma! : k.decayRate!;
  checkHyper(op, which, base, (v) => v > 0, "a number > 0");
  return (t) => mul(pow(base, steps === 1 ? t : div(t, steps)), eta0);
};

/** Keras' InverseTimeDecay parameters: `eta0 / (1 + decayRate * t / decaySteps)`. */
export interface InverseTimeDecayOptions {
  readonly decayRate: number;
  /** Default 1. */
  readonly decaySteps?: number;
}

const INV_KEYS: OptionKeys<InverseTimeDecayOptions> = { decayRate: true, decaySteps: true };

/**
 * 1/t decay: `inverseTimeDecay(eta0, k)` is `eta0 / (1 + k t)`; with Keras' names,
 * `inverseTimeDecay(eta0, { decayRate, decaySteps })` is `eta0 / (1 + decayRate * t / decaySteps)`
 * (tf.keras.optimizers.schedules.InverseTimeDecay without staircase), i.e. `k = decayRate / decaySteps`.
 */
export const inverseTimeDecay = (eta0: number, k: number | InverseTimeDecayOptions): Schedule => {
  const op = "inverseTimeDecay";
  checkHyper(op, "eta0", eta0, () => true, "a finite number");
  if (typeof k !== "number") {
    checkOptions(op, k, INV_KEYS);
    const { decayRate, decaySteps = 1 } = k;
    checkHyper(op, "decayRate", decayRate, (v) => v >= 0, "a number >= 0");
    checkHyper(op, "decaySteps", decaySteps, (v) => v > 0, "a number > 0");
    return (t) => div(eta0, add(div(mul(t, decayRate), decaySteps), 1));
  }
  checkHyper(op, "k", k, (v) => v >= 0, "a number >= 0");
  return (t) => div(eta0, add(mul(t, k), 1));
};

/** torch.optim.lr_scheduler.StepLR's parameters: `gamma` every `stepSize` steps. */
export interface StepDecayOptions {
  readonly stepSize: number;
  /** Default 0.1, as torch's. */
  readonly gamma?: number;
}

const STEP_KEYS: OptionKeys<StepDecayOptions> = { stepSize: true, gamma: true };

/**
 * `eta0 * gamma^floor(t / stepSize)`: torch.optim.lr_scheduler.StepLR, as
 * `stepDecay(eta0, { stepSize, gamma })` with torch's names, or positionally
 * `stepDecay(eta0, gamma, every)`.
 */
export function stepDecay(eta0: number, opts: StepDecayOptions): Schedule;
/** `eta0 * gamma^floor(t / every)` (positional form of StepLR). */
export function stepDecay(eta0: number, gamma: number, every: number): Schedule;
export function stepDecay(
  eta0: number,
  gammaOrOpts: number | StepDecayOptions,
  everyArg?: number,
): Schedule {
  const op = "stepDecay";
  const named = typeof gammaOrOpts === "object" && gammaOrOpts !== null;
  if (named) checkOptions(op, gammaOrOpts, STEP_KEYS);
  const gamma = named ? (gammaOrOpts.gamma ?? 0.1) : (gammaOrOpts as number);
  const every = named ? gammaOrOpts.stepSize : everyArg!;
  const everyName = named ? "stepSize" : "every";
  checkHyper(op, "eta0", eta0, () => true, "a finite number");
  checkHyper(op, everyName, every, (v) => Number.isInteger(v) && v > 0, "a positive integer");
  checkHyper(op, "gamma", gamma, () => true, "a finite number");
  return (t) => mul(pow(gamma, floor(div(t, every))), eta0);
}

/**
 * `etaMin + (eta0 - etaMin) (1 + cos(pi min(t, T) / T)) / 2` for `T = totalSteps`: half a
 * cosine from `eta0` at t = 0 to `etaMin` at t = T, then held at `etaMin` (as Optax's
 * cosine_decay_schedule; torch's CosineAnnealingLR would climb back up after T).
 */
export const cosineDecay = (eta0: number, totalSteps: number, etaMin = 0): Schedule => {
  checkHyper("cosineDecay", "eta0", eta0, () => true, "a finite number");
  checkHyper("cosineDecay", "totalSteps", totalSteps, (v) => v > 0, "a positive number");
  checkHyper("cosineDecay", "etaMin", etaMin, () => true, "a finite number");
  return (t) => {
    const phase = div(mul(minimum(t, totalSteps), Math.PI), totalSteps);
    return add(mul(add(cos(phase), 1), (eta0 - etaMin) / 2), etaMin);
  };
};

/**
 * `schedule(t) * min(1, (t + 1) / warmupSteps)`: a linear ramp from `schedule(0) / W` at the
 * first update to the full rate at t = W - 1, the inner schedule running from t = 0
 * underneath. This is torch's LinearLR(start_factor = 1/W, total_iters = W - 1) chained
 * with `schedule`; it never uses a rate of 0, which would waste the first update.
 */
export const linearWarmup = (schedule: Schedule, warmupSteps: number): Schedule => {
  checkHyper(
    "linearWarmup",
    "warmupSteps",
    warmupSteps,
    (v) => Number.isInteger(v) && v >= 1,
    "an integer >= 1",
  );
  return (t) => mul(schedule(t), minimum(div(add(t, 1), warmupSteps), 1));
};

/** Throws a LoomError unless `lr` is a number >= 0 or a schedule: checked when an optimizer is made. */
export const checkLearningRate = (op: string, lr: LearningRate): void => {
  if (typeof lr === "number")
    checkHyper(op, "the learning rate", lr, (v) => v >= 0, "a number >= 0");
  else if (typeof lr !== "function")
    checkHyper(op, "the learning rate", lr, () => false, "a number or a schedule");
};

/**
 * The learning rate at `step` for each dtype of params, built once per dtype: a number
 * becomes an exact constant, a schedule is evaluated at `step` cast to that dtype (so
 * float64 params get a float64 rate).
 */
export const learningRateAt = (
  op: string,
  lr: LearningRate,
  step: Tensor,
): ((dtype: DType) => Tensor) => {
  checkLearningRate(op, lr);
  const cache = new Map<DType, Tensor>();
  return (dtype) => {
    let v = cache.get(dtype);
    if (v === undefined) {
      v = typeof lr === "number" ? scalar(lr, dtype) : cast(lr(cast(step, dtype)), dtype);
      cache.set(dtype, v);
    }
    return v;
  };
};

/** The next value of a step counter. */
export const nextStep = (step: Tensor): Tensor => add(step, 1);

/**
 * Multiplies updates by `-lr(t)` (the sign makes them descent updates to add), with its own
 * step counter `{ step }` for schedules: the last link of an Optax-style chain.
 */
export const scaleByLearningRate = (lr: LearningRate): GradientTransformation => {
  checkLearningRate("scaleByLearningRate", lr);
  return {
    init: () => ({ step: initialStep() }),
    update: (grads, state) => {
      const step = stateScalar("scaleByLearningRate", state, "step");
      const rate = learningRateAt("scaleByLearningRate", lr, step);
      return {
        updates: mapTree(grads, isTensor, (g) => mul(g, neg(rate(g.dtype)))),
        state: { step: nextStep(step) },
      };
    },
  };
};
