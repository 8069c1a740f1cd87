import type { HostTensor } from "@loom/graph";

/** ONNX's backend-test tolerances (`onnx/backend/test/runner`): rtol 1e-3, atol 1e-7. */
export const ONNX_TOLERANCE = { rtol: 1e-3, atol: 1e-7 } as const;

/**
 * Why `actual` differs from `expected` (shape, dtype, or the first element outside
 * `|a - e| <= atol + rtol * |e|`; NaN matches NaN), or `undefined` when they agree.
 */
export const mismatch = (
  actual: HostTensor,
  expected: HostTensor,
  tol: { readonly rtol: number; readonly atol: number } = ONNX_TOLERANCE,
): string | undefined => {
  const same =
    actual.shape.length === expected.shape.length &&
    actual.shape.every((d, i) => d === expected.shape[i]);
  if (!same) return `shape [${actual.shape.join(",")}], expected [${expected.shape.join(",")}]`;
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e)))
      return `element ${i} is ${a}, expected ${e} (rtol ${tol.rtol}, atol ${tol.atol})`;
  }
  return undefined;
};
