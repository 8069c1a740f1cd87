import type { Backend, HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor, Tree, nn } from "@loom/ops";
import { compile, input, isHostTensor, mapTree } from "@loom/ops";
import type { ModelVars } from "./train/init";
import { specsOf } from "./train/step";

/** The names of a model's activations that `ctx.tap` sees (`conv1`, `act1`, `block1.conv1`, ...), in order. */
export const activationNames = (
  layer: nn.Layer,
  vars: ModelVars,
  exampleShape: readonly number[],
): string[] => {
  const names: string[] = [];
  const params = specsToInputs(vars.params, "params");
  const state = specsToInputs(vars.state, "state");
  layer.apply(params, state, input("x", [1, ...exampleShape]), {
    training: false,
    tap: (n) => names.push(n),
  });
  return names;
};

const specsToInputs = (t: Tree<HostTensor>, prefix: string): Tree<Tensor> =>
  mapTree(t, isHostTensor, (h, path) => input(`${prefix}.${path}`, h.shape, h.dtype));

/**
 * Runs a model in inference mode and returns its logits together with the named
 * intermediate activations, as extra outputs of the same compiled graph (one forward pass).
 */
export const forwardWithActivations = async (
  backend: Backend,
  layer: nn.Layer,
  vars: ModelVars,
  x: HostTensor,
  names: readonly string[],
): Promise<{ logits: HostTensor; activations: Record<string, HostTensor> }> => {
  const f = compile(
    backend,
    ({ params, state, x: xs }: { params: Tree<Tensor>; state: Tree<Tensor>; x: Tensor }) => {
      const seen: Record<string, Tensor> = {};
      const { y } = layer.apply(params, state, xs, {
        training: false,
        tap: (n, a) => (seen[n] = a),
      });
      const missing = names.find((n) => !(n in seen));
      if (missing !== undefined) {
        throw new LoomError(
          "invalid_argument",
          "features",
          `no activation named ${JSON.stringify(missing)}; the model has ${Object.keys(seen).join(", ")}`,
        );
      }
      return { logits: y, activations: Object.fromEntries(names.map((n) => [n, seen[n]!])) };
    },
    {
      params: specsOf(vars.params),
      state: specsOf(vars.state),
      x: { shape: x.shape, dtype: x.dtype },
    },
  );
  const out = (await f.run({ params: vars.params, state: vars.state, x } as never)) as unknown as {
    logits: HostTensor;
    activations: Record<string, HostTensor>;
  };
  return out;
};
