/** A training session over the real MNIST split that records what it posts, for the worker's tests. */
import { LoomError } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Dataset } from "@loom/models";
import { loadMnist } from "@loom/models";
import type { FromWorker, TrainConfig } from "../protocol";
import { createSession } from "../worker/session";

/** The message of one kind. */
export type Msg<K extends FromWorker["kind"]> = Extract<FromWorker, { kind: K }>;

/** A session over the real split (or `data`), recording what it posts; WebGL fails with `webglError`. */
export const recorder = (
  onPost?: (m: FromWorker) => void,
  webglError?: string,
  data: { train: Dataset; test: Dataset } = loadMnist(),
) => {
  const messages: FromWorker[] = [];
  const session = createSession({
    data,
    post: (m) => {
      messages.push(m);
      onPost?.(m);
    },
    makeBackend: async (name) => {
      if (name === "webgl") throw new LoomError("unsupported", "webgl", webglError ?? "no WebGL2");
      return cpuBackend();
    },
  });
  const of = <K extends FromWorker["kind"]>(kind: K) =>
    messages.filter((m): m is Msg<K> => m.kind === kind);
  return { session, messages, of };
};

/** A quick MLP run: one epoch of 20 steps on the first 1,000 training digits. */
export const MLP: TrainConfig = {
  model: "mlp",
  backend: "cpu",
  optimizer: "adam",
  lr: 1e-3,
  epochs: 1,
  batchSize: 50,
  seed: 0,
  limit: 1000,
  batchNorm: false,
  augment: "",
  schedule: "constant",
  resume: false,
};
