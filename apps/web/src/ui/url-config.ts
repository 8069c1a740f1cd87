import type { TrainConfig, WebBackend, WebModel } from "../protocol";
import { WEB_MODELS } from "../protocol";

/**
 * The form's starting values but the learning rate, which is the optimizer's default. The MLP
 * trains an epoch in a few seconds on a laptop's CPU, LeNet-5 in a few times that.
 */
export const DEFAULT_CONFIG: Omit<TrainConfig, "lr"> = {
  model: "mlp",
  backend: "cpu",
  optimizer: "adam",
  epochs: 3,
  batchSize: 64,
  seed: 0,
  batchNorm: false,
  augment: "",
  schedule: "constant",
  resume: false,
};

const positiveInt = (v: string | null): number | undefined => {
  const n = Number(v);
  return v !== null && Number.isInteger(n) && n >= 1 ? n : undefined;
};

/**
 * The form's starting values from the page's URL (`?model=lenet&epochs=1&batch=32&lr=0.002&
 * optimizer=sgd&backend=webgl&seed=3&limit=2000&bn=1&augment=shift:2&schedule=cosine`), so a
 * run can be linked to; values that do not parse are ignored (the augmentation and schedule
 * specs are checked by the worker like every field). `limit` trains on the first N training
 * digits only. `defaultLr` is every optimizer's default learning rate (the worker sends
 * `DEFAULT_LR`, keeping the page's bundle free of the training code). Continuing a model is
 * never read from a URL: the model is not in it.
 */
export const configFromUrl = (
  search: string,
  defaultLr: Readonly<Record<string, number>>,
): TrainConfig => {
  const q = new URLSearchParams(search);
  const model = q.get("model");
  const optimizer = q.get("optimizer");
  const backend = q.get("backend");
  const lr = Number(q.get("lr"));
  const seed = Number(q.get("seed"));
  const opt =
    optimizer !== null && Object.hasOwn(defaultLr, optimizer)
      ? optimizer
      : DEFAULT_CONFIG.optimizer;
  const limit = positiveInt(q.get("limit"));
  return {
    model: WEB_MODELS.find((m) => m === model) ?? (DEFAULT_CONFIG.model as WebModel),
    backend:
      backend === "webgl" || backend === "cpu" ? (backend as WebBackend) : DEFAULT_CONFIG.backend,
    optimizer: opt,
    lr: q.has("lr") && lr > 0 && Number.isFinite(lr) ? lr : defaultLr[opt]!,
    epochs: positiveInt(q.get("epochs")) ?? DEFAULT_CONFIG.epochs,
    batchSize: positiveInt(q.get("batch")) ?? DEFAULT_CONFIG.batchSize,
    seed: q.has("seed") && Number.isSafeInteger(seed) && seed >= 0 ? seed : DEFAULT_CONFIG.seed,
    batchNorm: q.get("bn") === "1",
    augment: q.get("augment") ?? DEFAULT_CONFIG.augment,
    schedule: q.get("schedule") ?? DEFAULT_CONFIG.schedule,
    resume: false,
    ...(limit === undefined ? {} : { limit }),
  };
};

/**
 * The query string of a configuration (what `configFromUrl` reads back), so the address bar
 * always links to the form as it is. Values at their defaults are left out; so is `resume`.
 */
export const configToUrl = (
  c: TrainConfig,
  defaultLr: Readonly<Record<string, number>>,
): string => {
  const q = new URLSearchParams();
  const put = (key: string, value: string, fallback: string) => {
    if (value !== fallback) q.set(key, value);
  };
  put("model", c.model, DEFAULT_CONFIG.model);
  put("backend", c.backend, DEFAULT_CONFIG.backend);
  put("optimizer", c.optimizer, DEFAULT_CONFIG.optimizer);
  put("lr", String(c.lr), String(defaultLr[c.optimizer]));
  put("epochs", String(c.epochs), String(DEFAULT_CONFIG.epochs));
  put("batch", String(c.batchSize), String(DEFAULT_CONFIG.batchSize));
  put("seed", String(c.seed), String(DEFAULT_CONFIG.seed));
  put("bn", c.batchNorm ? "1" : "0", "0");
  put("augment", c.augment, DEFAULT_CONFIG.augment);
  put("schedule", c.schedule, DEFAULT_CONFIG.schedule);
  if (c.limit !== undefined) q.set("limit", String(c.limit));
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
};
