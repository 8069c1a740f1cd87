import type { Backend, HostTensor } from "@loom/graph";
import type { CompileOptions, Tree, nn } from "@loom/ops";
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
  opts: CompileOptions = {},
): Promise<ModelVars> => {
  const f = compile(
    backend,
    ({ key: k }) => model.init(k, input),
    { key: { shape: [2], dtype: "int32" } },
    { name: "init", ...opts },
  );
  try {
    return (await f.run({ key: key(seed) })) as unknown as ModelVars;
  } finally {
    // Initialisation runs once: its executable (WebGL textures included) is freed here.
    f.dispose();
  }
};
