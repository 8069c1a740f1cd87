import type { Backend, HostTensor } from "@loom/graph";
import type { CompileOptions, HostsOf, Tree, nn } from "@loom/ops";
import { compile, key } from "@loom/ops";

/** A model's variables on the host. */
export interface ModelVars {
  readonly params: Tree<HostTensor>;
  readonly state: Tree<HostTensor>;
}

/**
 * A model's variables on the host, typed after its layers: for `sequential({ fc: nn.dense(10) })`
 * `params.fc.w` is a host tensor, with no cast.
 */
export interface TypedVars<P extends nn.Vars, S extends nn.Vars> extends ModelVars {
  readonly params: HostsOf<P>;
  readonly state: HostsOf<S>;
}

/**
 * Runs a layer's `init` on a backend: random initialisation is graph ops, so every backend
 * gives the same initial parameters for the same seed.
 */
export const initModel = async <P extends nn.Vars, S extends nn.Vars>(
  backend: Backend,
  model: nn.Layer<P, S>,
  seed: number,
  input: nn.InputSpec,
  opts: CompileOptions = {},
): Promise<TypedVars<P, S>> => {
  const f = compile(
    backend,
    ({ key: k }) => model.init(k, input) as { params: nn.Vars; state: nn.Vars },
    { key: { shape: [2], dtype: "int32" } },
    { name: "init", ...opts },
  );
  try {
    return (await f.run({ key: key(seed) })) as unknown as TypedVars<P, S>;
  } finally {
    // Initialisation runs once: its executable (WebGL textures included) is freed here.
    f.dispose();
  }
};
