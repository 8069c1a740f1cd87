import type { Backend, HostTensor } from "@loom/graph";
import type { Tree, nn } from "@loom/ops";
import { compile, key } from "@loom/ops";

/** A model's variables on the host. */
export interface ModelVars {
  readonly params: Tree<HostTensor>;
  readonly state: Tree<HostTensor>;
}

/**
 * Runs a layer's `init` on a backend: random initialisation is graph ops, so every backend
 * gives the same initial parameters for the same seed.
 */
export const initModel = async (
  backend: Backend,
  model: nn.Layer,
  seed: number,
  input: nn.InputSpec,
): Promise<ModelVars> => {
  const f = compile(backend, ({ key: k }) => model.init(k, input), {
    key: { shape: [2], dtype: "int32" },
  });
  const out = (await f.run({ key: key(seed) })) as unknown as ModelVars;
  f.dispose();
  return out;
};
