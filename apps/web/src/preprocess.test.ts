import { describe, expect, it } from "vitest";
import { inkOf, toMnist } from "./preprocess";

const W = 280;
const H = 280;

/** A blank 280x280 drawing with rectangles of ink [x0, x1) x [y0, y1) at the given levels. */
const drawing = (...rects: [x0: number, x1: number, y0: number, y1: number, v: number][]) => {
  const ink = new Float32Array(W * H);
  for (const [x0, x1, y0, y1, v] of rects)
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ink[y * W + x] = v;
  return ink;
};

/** The 28x28 expected image: `v(x, y)` where given, 0 elsewhere. */
const expected = (v: (x: number, y: number) => number | undefined) =>
  Array.from({ length: 784 }, (_, p) => v(p % 28, Math.floor(p / 28)) ?? 0);

describe("toMnist", () => {
  it("returns undefined for an empty drawing", () => {
    expect(toMnist(new Float32Array(W * H), W, H)).toBeUndefined();
  });

  it("scales a 40x40 square to 20x20 and centres it: rows and columns 4..23", () => {
    const out = toMnist(drawing([100, 140, 60, 100, 1]), W, H)!;
    const want = expected((x, y) => (x >= 4 && x < 24 && y >= 4 && y < 24 ? 1 : undefined));
    expect(Array.from(out)).toEqual(want);
  });

  it("keeps the aspect ratio: a 10x200 bar becomes 1 pixel wide, straddling two columns", () => {
    // side 200, scale 10; the bar's square runs from x = -45, so the bar covers [9.5, 10.5) of
    // the 20x20 box: half of columns 9 and 10 (0.5 each, then scaled to the maximum 1).
    // Centre of mass (10, 10) -> shift (4, 4): columns 13 and 14, rows 4..23.
    const out = toMnist(drawing([50, 60, 40, 240, 1]), W, H)!;
    const want = expected((x, y) => ((x === 13 || x === 14) && y >= 4 && y < 24 ? 1 : undefined));
    expect(Array.from(out)).toEqual(want);
  });

  it("centres the centre of mass, not the bounding box, and keeps grey levels", () => {
    // 20x20 at scale 1: left half ink 1, right half 0.5. Per row the mass-weighted x is
    // (sum_{x<10} (x + .5) + 0.5 sum_{x>=10} (x + .5)) / 15 = (50 + 75) / 15 = 8.33, so the
    // shift is round(14 - 8.33) = 6 (the bounding box's centre would give 4); rows shift by 4.
    const out = toMnist(drawing([30, 40, 200, 220, 1], [40, 50, 200, 220, 0.5]), W, H)!;
    const want = expected((x, y) => {
      if (y < 4 || y >= 24) return undefined;
      if (x >= 6 && x < 16) return 1;
      if (x >= 16 && x < 26) return 0.5;
      return undefined;
    });
    expect(Array.from(out)).toEqual(want);
  });

  it("area-averages partial coverage into grey levels and scales the darkest pixel to 1", () => {
    // A 60x60 square at 0.4 with a 3x3 hole at (0..3, 0..3) of its top-left corner: scale 3, so
    // the hole is exactly box pixel (0, 0): 0. Everything else is 0.4, scaled to 1.
    const ink = drawing([0, 60, 0, 60, 0.4]);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) ink[y * W + x] = 0;
    const out = toMnist(ink, W, H)!;
    // Mass 399, mean x = (sum over all 400 of (x+.5) - 0.5) / 399 = (4000 - .5) / 399 = 10.024:
    // shift 4 in both directions.
    const want = expected((x, y) => {
      if (x < 4 || x >= 24 || y < 4 || y >= 24) return undefined;
      return x === 4 && y === 4 ? 0 : 1;
    });
    expect(Array.from(out)).toEqual(want);
  });

  it("gives partly covered box pixels grey levels: a 21x40 block at scale 2", () => {
    // Centred in its 40x40 square the block starts at x = 9.5, so box column t covers source
    // [2t - 9.5, 2t - 7.5): columns 4 and 15 get a quarter of a pixel's ink, 5..14 all of it.
    // Symmetric, so the centre of mass is (10, 10): shift (4, 4).
    const out = toMnist(drawing([100, 121, 100, 140, 1]), W, H)!;
    const want = expected((x, y) => {
      if (y < 4 || y >= 24) return undefined;
      if (x === 8 || x === 19) return 0.25;
      return x >= 9 && x < 19 ? 1 : undefined;
    });
    expect(Array.from(out)).toEqual(want);
  });

  it("reads the red channel of RGBA pixels as ink", () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 51, 51, 51, 255, 0, 0, 0, 255]);
    expect(Array.from(inkOf(rgba, 3, 1))).toEqual([1, 0.2, 0].map(Math.fround));
  });
});
