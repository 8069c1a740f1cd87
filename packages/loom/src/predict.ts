import type { HostTensor } from "@loom/graph";
import type { nn, PredictOptions, Predictor, Tree } from "@loom/ops";
import { predict as predictOn } from "@loom/ops";
import { cpuBackend } from "@loom/backend-cpu";

/**
 * `@loom/ops`' `predict`, with the CPU backend when none is given: the predictor then owns that
 * backend and its `dispose()` disposes it too (its worker threads included).
 */
export const predict = (
  model: nn.Layer,
  params: Tree<HostTensor>,
  state: Tree<HostTensor> = {},
  opts: PredictOptions = {},
): Predictor => {
  if (opts.backend !== undefined) return predictOn(model, params, state, opts);
  const backend = cpuBackend();
  try {
    const p = predictOn(model, params, state, { ...opts, backend });
    return Object.assign((x: HostTensor) => p(x), {
      dispose: () => {
        p.dispose();
        backend.dispose();
      },
    });
  } catch (e) {
    backend.dispose();
    throw e;
  }
};
