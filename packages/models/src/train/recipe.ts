import { LoomError } from "@loom/graph";
import { augment, optim } from "@loom/ops";

/** The optimizers the CLI and the web app offer by name. */
export const OPTIMIZER_NAMES = ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"] as const;

/** An optimizer name. */
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** The learning rate each optimizer defaults to (PyTorch's defaults; 0.01 with momentum). */
export const DEFAULT_LR: Readonly<Record<OptimizerName, number>> = {
  sgd: 0.1,
  momentum: 0.01,
  nesterov: 0.01,
  rmsprop: 0.001,
  adam: 0.001,
  adamw: 0.001,
};

/**
 * One `name:ARG:...` term of a spec (part of `spec`, which errors quote with `usage`): its name
 * and its arguments, refused unless non-negative numbers, and `arity(n)`, which refuses a term
 * with another number of arguments.
 */
const specTerm = (op: string, spec: string, usage: string, term: string) => {
  const [name, ...args] = term.split(":");
  // Number("") is 0: an empty argument ("shift:") must not read as one.
  const nums = args.map((a) => (a.trim() === "" ? NaN : Number(a) + 0));
  const bad = (why: string) =>
    new LoomError("invalid_argument", op, `${JSON.stringify(spec)}: ${why}; use ${usage}`);
  if (nums.some((n) => !Number.isFinite(n) || n < 0))
    throw bad("arguments must be non-negative numbers");
  const arity = (n: number) => {
    if (nums.length !== n) throw bad(`${name} takes ${n} argument${n === 1 ? "" : "s"}`);
  };
  return { name, nums, bad, arity };
};

/**
 * A learning-rate schedule from a spec: `constant`, `exp:K` (eta0 e^(-K t)), `inverse:K`
 * (eta0 / (1 + K t)), `step:GAMMA:EVERY` (times GAMMA every EVERY steps), `cosine` (to 0 over
 * the run), optionally followed by `+warmup:W` (linear warm-up over W steps). t counts steps.
 */
export const parseSchedule = (spec: string, lr: number, totalSteps: number): optim.Schedule => {
  const [main = "", ...mods] = spec.split("+");
  const { name, nums, bad, arity } = specTerm(
    "schedule",
    spec,
    "constant, exp:K, inverse:K, step:GAMMA:EVERY or cosine, optionally +warmup:W",
    main,
  );
  let s: optim.Schedule;
  switch (name) {
    case "constant":
      arity(0);
      s = optim.constant(lr);
      break;
    case "exp":
      arity(1);
      s = optim.exponentialDecay(lr, nums[0]!);
      break;
    case "inverse":
      arity(1);
      s = optim.inverseTimeDecay(lr, nums[0]!);
      break;
    case "step":
      arity(2);
      s = optim.stepDecay(lr, nums[0]!, nums[1]!);
      break;
    case "cosine":
      arity(0);
      s = optim.cosineDecay(lr, Math.max(totalSteps, 1));
      break;
    default:
      throw bad("unknown schedule");
  }
  for (const m of mods) {
    const [k, w] = m.split(":");
    if (k !== "warmup" || !(Number(w) >= 1)) throw bad(`unknown modifier ${JSON.stringify(m)}`);
    s = optim.linearWarmup(s, Number(w));
  }
  return s;
};

/** Options of `makeOptimizer`. */
export interface OptimizerOptions {
  /** L2 weight decay folded into the gradient (decoupled for adamw, as in PyTorch). */
  readonly weightDecay?: number;
  /** Clip gradients to this global norm first. */
  readonly clipNorm?: number;
}

/** An optimizer by name, with PyTorch's semantics (momentum 0.9 for momentum and nesterov). */
export const makeOptimizer = (
  name: string,
  lr: optim.LearningRate,
  opts: OptimizerOptions = {},
): optim.GradientTransformation => {
  const weightDecay = opts.weightDecay ?? 0;
  let o: optim.GradientTransformation;
  switch (name) {
    case "sgd":
      o = optim.sgd(lr, { weightDecay });
      break;
    case "momentum":
      o = optim.sgd(lr, { momentum: 0.9, weightDecay });
      break;
    case "nesterov":
      o = optim.sgd(lr, { momentum: 0.9, nesterov: true, weightDecay });
      break;
    case "rmsprop":
      o = optim.rmsprop(lr, { weightDecay });
      break;
    case "adam":
      o = optim.adam(lr, { weightDecay });
      break;
    case "adamw":
      o = optim.adamw(lr, { weightDecay: opts.weightDecay ?? 0.01 });
      break;
    default:
      throw new LoomError(
        "invalid_argument",
        "optimizer",
        `unknown optimizer ${JSON.stringify(name)}; use one of ${OPTIMIZER_NAMES.join(", ")}`,
      );
  }
  return opts.clipNorm === undefined ? o : optim.chain(optim.clipByGlobalNorm(opts.clipNorm), o);
};

/** The augmentations `--augment` understands, with their argument syntax. */
export const AUGMENT_SPECS =
  "shift:P, crop:P, flip, vflip, rotate:DEG, scale:MIN:MAX, noise:STD, jitter:B:C:S";

/** At most this many augmentations in one spec: each adds ops to every training step's graph. */
export const MAX_AUGMENTATIONS = 16;

/**
 * The sane ranges of the augmentation arguments, for images in [0, 1]: a rotation beyond 180°
 * repeats one within it, a zoom past 10x (or below 0.1x) leaves a few pixels of a digit, and a
 * noise or jitter strength above 1 drowns the image. Shifts are bounded by the image size.
 */
export const AUGMENT_RANGES = {
  rotate: [0, 180],
  scale: [0.1, 10],
  noise: [0, 1],
  jitter: [0, 1],
} as const;

/**
 * A data-augmentation pipeline from a comma-separated spec, e.g. `shift:2,rotate:10`:
 * `shift:P` (random integer shifts up to P pixels), `crop:P` (pad by P, crop back at a random
 * offset), `flip`/`vflip`, `rotate:DEG`, `scale:MIN:MAX`, `noise:STD` (clipped to [0, 1]),
 * `jitter:B:C:S` (brightness, contrast, saturation). With `image` (`[C, H, W]`), shifts and
 * crops must be below the image size; every argument must be within `AUGMENT_RANGES`. A bad
 * spec is a LoomError quoting the term, before any graph is built.
 */
export const parseAugment = (spec: string, image?: readonly number[]): augment.Augmentation => {
  const terms = spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (terms.length === 0)
    throw new LoomError("invalid_argument", "augment", `empty spec; use ${AUGMENT_SPECS}`);
  if (terms.length > MAX_AUGMENTATIONS) {
    throw new LoomError(
      "invalid_argument",
      "augment",
      `${terms.length} augmentations; use at most ${MAX_AUGMENTATIONS}`,
    );
  }
  const [h, w] = image === undefined ? [] : image.slice(-2);
  const maxShift = h === undefined || w === undefined ? undefined : Math.min(h, w) - 1;
  const steps = terms.map((s): augment.Augmentation => {
    const { name, nums, bad, arity } = specTerm("augment", s, AUGMENT_SPECS, s);
    const within = (what: string, [lo, hi]: readonly [number, number]) => {
      const out = nums.find((n) => n < lo || n > hi);
      if (out !== undefined) throw bad(`${what} must be in [${lo}, ${hi}], got ${out}`);
    };
    const shiftLike = (what: string) => {
      arity(1);
      const p = nums[0]!;
      if (!Number.isInteger(p)) throw bad(`${what} must be a whole number of pixels, got ${p}`);
      if (maxShift !== undefined && p > maxShift)
        throw bad(`${what} must be at most ${maxShift} for ${h}x${w} images, got ${p}`);
      return p;
    };
    switch (name) {
      case "shift":
        return augment.randomShift({ max: shiftLike("the shift") });
      case "crop":
        return augment.randomCrop({ padding: shiftLike("the crop padding") });
      case "flip":
        arity(0);
        return augment.flipHorizontal();
      case "vflip":
        arity(0);
        return augment.flipVertical();
      case "rotate":
        arity(1);
        within("the angle", AUGMENT_RANGES.rotate);
        return augment.randomRotation({ degrees: nums[0]! });
      case "scale":
        arity(2);
        within("the scale factors", AUGMENT_RANGES.scale);
        if (nums[0]! > nums[1]!) throw bad(`MIN must not exceed MAX, got ${nums[0]} > ${nums[1]}`);
        return augment.randomScale({ min: nums[0]!, max: nums[1]! });
      case "noise":
        arity(1);
        within("the noise std", AUGMENT_RANGES.noise);
        return augment.gaussianNoise({ std: nums[0]!, clip: [0, 1] });
      case "jitter":
        arity(3);
        within("the jitter strengths", AUGMENT_RANGES.jitter);
        return augment.colorJitter({
          brightness: nums[0]!,
          contrast: nums[1]!,
          saturation: nums[2]!,
        });
      default:
        throw bad("unknown augmentation");
    }
  });
  return augment.pipeline(...steps);
};
