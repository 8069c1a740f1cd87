/**
 * A drawing made MNIST-like, as LeCun, Cortes and Burges describe MNIST's preparation: the
 * digit's bounding box is scaled, keeping its aspect ratio, to fit a 20x20 box (area averaging,
 * which makes the grey levels of anti-aliasing), and that box is placed in a 28x28 frame so
 * that its centre of mass lands on the frame's centre. A network trained on MNIST only knows
 * digits prepared this way: a digit drawn small in a corner is otherwise another picture.
 */

/** The side of an MNIST image. */
export const MNIST_SIDE = 28;

/** The side of the box MNIST fits each digit into. */
const BOX = 20;

/** Ink per pixel in [0, 1] from a canvas's RGBA pixels with light strokes on black (the red channel). */
export const inkOf = (rgba: Uint8ClampedArray, width: number, height: number): Float32Array => {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[4 * i]! / 255;
  return ink;
};

/**
 * The bounding box (`x1`, `y1` exclusive) of the pixels whose ink `counts`, and how many there
 * are (0: an empty box).
 */
export const inkBox = (
  ink: Float32Array,
  width: number,
  height: number,
  counts: (v: number) => boolean,
) => {
  let x0 = width;
  let x1 = 0;
  let y0 = height;
  let y1 = 0;
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!counts(ink[y * width + x]!)) continue;
      count++;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x + 1);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y + 1);
    }
  }
  return { x0, x1, y0, y1, count };
};

/** For each of `BOX` target cells, the source pixels it covers and by what fraction of the cell. */
const areaWeights = (origin: number, scale: number, size: number) =>
  Array.from({ length: BOX }, (_, t) => {
    const lo = origin + t * scale;
    const hi = lo + scale;
    const taps: { i: number; w: number }[] = [];
    for (let i = Math.max(0, Math.floor(lo)); i < Math.min(size, Math.ceil(hi)); i++) {
      const w = (Math.min(hi, i + 1) - Math.max(lo, i)) / scale;
      if (w > 0) taps.push({ i, w });
    }
    return taps;
  });

/**
 * The 28x28 MNIST-like image (row-major, values in [0, 1]) of a drawing given as ink per pixel,
 * or undefined when nothing is drawn. The bounding box of the inked pixels, centred in a square
 * of its longer side, is area-averaged down (or up) to 20x20; the result is scaled so that its
 * darkest pixel is 1, as in MNIST where the core of a stroke is full ink; it is then shifted by
 * whole pixels so that its centre of mass (pixel centres at +0.5) is nearest the frame's centre
 * (14, 14), and what would fall outside the frame is cut off.
 */
export const toMnist = (
  ink: Float32Array,
  width: number,
  height: number,
): Float32Array | undefined => {
  const { x0, x1, y0, y1, count } = inkBox(ink, width, height, (v) => v > 0);
  if (count === 0) return undefined;
  const side = Math.max(x1 - x0, y1 - y0);
  const scale = side / BOX;
  const wx = areaWeights(x0 - (side - (x1 - x0)) / 2, scale, width);
  const wy = areaWeights(y0 - (side - (y1 - y0)) / 2, scale, height);

  // Separable: rows first (only the rows of the box), then columns.
  const rows = new Float64Array(height * BOX);
  for (let y = y0; y < y1; y++) {
    for (let t = 0; t < BOX; t++) {
      let s = 0;
      for (const { i, w } of wx[t]!) s += w * ink[y * width + i]!;
      rows[y * BOX + t] = s;
    }
  }
  const box = new Float64Array(BOX * BOX);
  let max = 0;
  for (let ty = 0; ty < BOX; ty++) {
    for (let tx = 0; tx < BOX; tx++) {
      let s = 0;
      for (const { i, w } of wy[ty]!) s += w * rows[i * BOX + tx]!;
      box[ty * BOX + tx] = s;
      max = Math.max(max, s);
    }
  }

  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < BOX; y++) {
    for (let x = 0; x < BOX; x++) {
      const v = box[y * BOX + x]! / max;
      box[y * BOX + x] = v;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const dx = Math.round(MNIST_SIDE / 2 - mx / mass);
  const dy = Math.round(MNIST_SIDE / 2 - my / mass);
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  for (let y = 0; y < BOX; y++) {
    for (let x = 0; x < BOX; x++) {
      const ox = x + dx;
      const oy = y + dy;
      if (ox >= 0 && ox < MNIST_SIDE && oy >= 0 && oy < MNIST_SIDE)
        out[oy * MNIST_SIDE + ox] = box[y * BOX + x]!;
    }
  }
  return out;
};
