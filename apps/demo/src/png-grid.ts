import { PNG } from "pngjs";
import { LoomError } from "@loom/graph";

/** Options of a tile grid. */
export interface GridOptions {
  /** Tiles per row (default: about the square root of the count). */
  readonly cols?: number;
  /** Pixels per value (nearest-neighbour upscaling). */
  readonly scale?: number;
  /** Gap between tiles, in pixels. */
  readonly gap?: number;
}

/**
 * Renders `count` maps of `h x w` values as a grid of greyscale tiles in a PNG, each tile
 * stretched to its own min..max (a constant tile is mid-grey), so weak and strong maps are
 * both visible.
 */
export const gridPng = (
  values: ArrayLike<number>,
  count: number,
  h: number,
  w: number,
  opts: GridOptions = {},
): Buffer => {
  if (values.length !== count * h * w) {
    throw new LoomError(
      "invalid_argument",
      "png",
      `${values.length} values are not ${count} tiles of ${h}x${w}`,
    );
  }
  const cols = opts.cols ?? Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  const s = opts.scale ?? 4;
  const gap = opts.gap ?? 2;
  const width = cols * (w * s + gap) + gap;
  const height = rows * (h * s + gap) + gap;
  const png = new PNG({ width, height });
  png.data.fill(255);
  for (let t = 0; t < count; t++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < h * w; i++) {
      const v = values[t * h * w + i]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const ox = gap + (t % cols) * (w * s + gap);
    const oy = gap + Math.floor(t / cols) * (h * s + gap);
    for (let y = 0; y < h * s; y++) {
      for (let x = 0; x < w * s; x++) {
        const v = values[t * h * w + Math.floor(y / s) * w + Math.floor(x / s)]!;
        const g = hi > lo ? Math.round((255 * (v - lo)) / (hi - lo)) : 128;
        const p = ((oy + y) * width + ox + x) * 4;
        png.data[p] = g;
        png.data[p + 1] = g;
        png.data[p + 2] = g;
        png.data[p + 3] = 255;
      }
    }
  }
  return PNG.sync.write(png);
};
