import type { Dim, HostTensor } from "@loom/graph";
import type { Tensor, TensorSpec, Tree, nn } from "@loom/ops";
import { flattenTree, isHostTensor, mapTree, trace } from "@loom/ops";
import { exportOnnx } from "./export-graph";

/** A layer's variables on the host: its parameters and its state (batch-norm statistics). */
export interface LayerVars {
  readonly params: Tree<HostTensor>;
  readonly state: Tree<HostTensor>;
}

/** Options of {@link exportLayer}. */
export interface ExportLayerOptions {
  /** The batch dim: a symbol (default `"N"`, a named dim in ONNX) or a fixed size. */
  readonly batch?: Dim;
  /** The ONNX graph's name. */
  readonly name?: string;
}

const specsOf = (t: Tree<HostTensor>): Tree<TensorSpec> =>
  mapTree(t, isHostTensor, (h) => ({ shape: h.shape, dtype: h.dtype }));

/**
 * A layer's inference function (`training: false`: batch norm uses its running statistics,
 * dropout is the identity) as ONNX bytes: input `x` of shape `[batch, ...example]`, output
 * `logits`, and the variables as initializers named by their paths (`params.conv1.w`,
 * `state.bn1.mean`).
 */
export const exportLayer = (
  layer: nn.Layer,
  vars: LayerVars,
  example: readonly number[],
  opts: ExportLayerOptions = {},
): Uint8Array => {
  const { graph } = trace(
    ({ params, state, x }: { params: Tree<Tensor>; state: Tree<Tensor>; x: Tensor }) => ({
      logits: layer.apply(params, state, x, { training: false }).y,
    }),
    {
      params: specsOf(vars.params),
      state: specsOf(vars.state),
      x: { shape: [opts.batch ?? "N", ...example] },
    },
  );
  const weights = Object.fromEntries(
    (["params", "state"] as const).flatMap((k) =>
      flattenTree(vars[k], isHostTensor, k).map(({ path, leaf }) => [path, leaf] as const),
    ),
  );
  return exportOnnx(graph, { weights, ...(opts.name === undefined ? {} : { name: opts.name }) });
};
