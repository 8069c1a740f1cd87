import { binaryDef, floatVjp, zerosLike } from "./rules";

/**
 * `maximum(a, b)`; NaN if either is NaN. The gradient goes to `a` where a > b and to `b`
 * elsewhere, so `relu = maximum(x, 0)` has gradient 0 at 0, as in PyTorch.
 */
export const maximum = binaryDef(
  "maximum",
  "max",
  "numeric",
  // The mask reads the output, not `a`: `gt(out, b)` equals `gt(a, b)` (NaNs included), and
  // then `a` dies after the forward pass, so `relu(conv(x))` fuses into one kernel.
  floatVjp(({ prim, ct, out, inputs: [, b] }) => {
    const aWins = prim("gt", [out, b!]);
    const zero = zerosLike(prim, ct);
    return [prim("select", [aWins, ct, zero]), prim("select", [aWins, zero, ct])];
  }),
);
