import type { Shape } from "@loom/graph";
import { formatShape, LoomError } from "@loom/graph";
import type { nn } from "@loom/ops";

/** Scales a channel count by a width multiplier (at least 1 channel), for reduced test models. */
export const scaled = (channels: number, width: number): number =>
  Math.max(1, Math.round(channels * width));

/**
 * The configuration of `depth` in `configs`, or an error naming the depths there are
 * (`expected`) and `hint` after them. Own keys only: `depth` comes from the user.
 */
export const depthConfig = <D extends PropertyKey, C>(
  model: string,
  configs: Readonly<Record<D, C>>,
  depth: D,
  expected: string,
  hint = "",
): C => {
  const config = Object.hasOwn(configs, depth) ? configs[depth] : undefined;
  if (config === undefined)
    throw new LoomError(
      "invalid_argument",
      model,
      `depth must be ${expected}, got ${String(depth)}${hint}`,
    );
  return config;
};

/** Checks the options the zoo's models share: positive integer class and hidden counts, a positive width. */
export const checkCommon = (
  model: string,
  o: { readonly classes?: number; readonly width?: number; readonly hidden?: number },
): void => {
  const bad = (name: string, v: unknown, what: string) => {
    throw new LoomError("invalid_argument", model, `${name} must be ${what}, got ${String(v)}`);
  };
  if (o.classes !== undefined && !(Number.isInteger(o.classes) && o.classes >= 1))
    bad("classes", o.classes, "a positive integer");
  if (o.hidden !== undefined && !(Number.isInteger(o.hidden) && o.hidden >= 1))
    bad("hidden", o.hidden, "a positive integer");
  if (o.width !== undefined && !(o.width > 0 && Number.isFinite(o.width)))
    bad("width", o.width, "a positive number");
};

/** The layer, with `check` run on its input type in `init` and `apply` (it throws a LoomError). */
export const guardInput = <P extends nn.Vars, S extends nn.Vars>(
  layer: nn.Layer<P, S>,
  check: (s: Shape) => void,
): nn.Layer<P, S> => ({
  kind: layer.kind,
  init: (k, spec) => {
    check(spec.shape);
    return layer.init(k, spec);
  },
  apply: (params, state, x, ctx) => {
    check(x.shape);
    return layer.apply(params, state, x, ctx);
  },
});

/**
 * The layer, refusing inputs smaller than `min` x `min` with a message that names the model,
 * instead of a pooling error deep inside it.
 */
export const withMinSize = <P extends nn.Vars, S extends nn.Vars>(
  model: string,
  min: number,
  layer: nn.Layer<P, S>,
): nn.Layer<P, S> =>
  guardInput(layer, (s) => {
    const [h, w] = [s[2], s[3]];
    if (s.length === 4 && typeof h === "number" && typeof w === "number" && (h < min || w < min)) {
      throw new LoomError(
        "shape_mismatch",
        model,
        `needs inputs of at least ${min}x${min}, got ${formatShape(s)}; use a larger input`,
        [s],
      );
    }
  });
