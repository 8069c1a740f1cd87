/** Five stops of matplotlib's viridis, enough to interpolate a readable colour ramp. */
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
] as const;

/** Viridis colour of t in [0, 1]. */
export const viridis = (t: number): [number, number, number] => {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [0, 1, 2].map((k) => Math.round(a[k]! + f * (b[k]! - a[k]!))) as [number, number, number];
};

/**
 * Paints a `width` x `height` image of values into a canvas of that size: grey levels in
 * [0, 1] as white ink on black (`grey`), or values scaled by their maximum through viridis.
 */
export const paint = (
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  width: number,
  height: number,
  mode: "grey" | "viridis" = "grey",
  scale = 1,
): void => {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(width, height);
  let max = 0;
  if (mode === "viridis") for (let i = 0; i < width * height; i++) max = Math.max(max, values[i]!);
  for (let i = 0; i < width * height; i++) {
    const v = values[i]! * scale;
    const [r, g, b] =
      mode === "grey" ? [v * 255, v * 255, v * 255] : viridis(max > 0 ? values[i]! / max : 0);
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
};
