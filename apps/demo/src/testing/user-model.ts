import { nn } from "@loom/ops";

// A user's module for `loom inspect/summary --module` tests: a factory, a layer and an entry.

/** A small CNN factory, as a user would export it. */
export const cnn = () =>
  nn.sequential({
    conv: nn.conv2d({ out: 4, kernel: 3 }),
    act: nn.relu(),
    pool: nn.maxPool2d(2),
    flat: nn.flatten(),
    fc: nn.dense(10),
  });

/** The same model as a layer value. */
export const layer = cnn();

/** A model that carries its example shape. */
export const withInput = { layer: cnn(), input: [1, 8, 8] };

/** Not a model at all. */
export const notAModel = 42;

/** An entry whose layer is a factory passed without its call (a user's mistake). */
export const uncalled = { layer: nn.relu, input: [1, 8, 8] };

/** The default export: the factory. */
export default cnn;
