import type { Node } from "../node";
import type { OpTable } from "../op-def";

/** What the kernel lowerings of the fusion pass share: the buffer decisions and node numbers. */
export interface LoweringContext {
  readonly table: OpTable;
  /** The nodes that own a buffer. */
  readonly buffered: ReadonlySet<Node>;
  /** Each buffered node's buffer id. */
  readonly bufOf: ReadonlyMap<Node, number>;
  /** Each node's topological number, for inspection. */
  readonly ids: ReadonlyMap<Node, number>;
  /** Fold transposes of matmul operands into the call (FusionOptions.foldTransposes). */
  readonly foldTransposes: boolean;
}
