/**
 * The model the inspect example looks at, in a module of its own so that the CLI can load it
 * too: `pnpm loom summary --module examples/inspect/src/model.ts --export cnn --input 1x16x16`.
 */
import * as loom from "@loom/loom";

// #region model
export const cnn = loom.nn.sequential({
  conv: loom.nn.conv2d(8, 3, { padding: 1 }),
  bn: loom.nn.batchNorm(),
  act: loom.nn.relu(),
  conv2: loom.nn.conv2d(8, 3, { padding: 1 }),
  act2: loom.nn.relu(),
  pool: loom.nn.maxPool2d({ kernel: 2 }),
  flat: loom.nn.flatten(),
  fc: loom.nn.dense(10),
});
// #endregion model
