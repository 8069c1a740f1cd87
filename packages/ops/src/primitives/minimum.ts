import { binaryDef, floatVjp, zerosLike } from "./rules";

/**
 * `minimum(a, b)`; NaN if either is NaN. The gradient goes to `a` where a < b and to `b`
 * elsewhere (ties go to `b`, mirroring `maximum`).
 */
export const minimum = binaryDef(
  "minimum",
  "min",
  "numeric",
  // The mask reads the output, not `a`: `lt(out, b)` equals `lt(a, b)` (NaNs included), and
  // then `a` dies after the forward pass, so `relu(conv(x))` fuses into one kernel.
  floatVjp(({ prim, ct, out, inputs: [, b] }) => {
    const aWins = prim("lt", [out, b!]);
    const zero = zerosLike(prim, ct);
    return [prim("select", [aWins, ct, zero]), prim("select", [aWins, zero, ct])];
  }),
);
