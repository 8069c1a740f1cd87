import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import type { Tensor, Tree } from "../index";
import { augment, compile, foldIn, hostTensor, key } from "../index";
import type { Img } from "@loom/testing";
import { cpuBackend } from "@loom/backend-cpu";
import { imageAt, images, maxDiff, runAug, runFn } from "@loom/testing";

const cpu = cpuBackend();

// Execution tests of the photometric augmentations (colour jitter, PCA lighting, noise), and
// of what every augmentation shares: determinism per key, pipelines, symbolic batches.

const LUMA = [0.299, 0.587, 0.114];
const clamp01 = (v: number) => Math.min(Math.max(v, 0), 1);

/** Per-pixel grey levels of a CHW image (1 or 3 channels). */
const greyOf = (img: readonly number[], { c, h, w }: Img): number[] =>
  Array.from({ length: h * w }, (_, p) =>
    c === 1 ? img[p]! : LUMA.reduce((s, l, ch) => s + l * img[ch * h * w + p]!, 0),
  );

/**
 * Recovers the blend factor of `y = clamp(f * x + (1 - f) * ref)` from the unclamped value
 * farthest from its reference, then checks every value against that formula.
 */
const checkBlend = (x: readonly number[], y: readonly number[], ref: readonly number[]) => {
  let best = -1;
  for (let i = 0; i < x.length; i++) {
    const inside = y[i]! > 1e-4 && y[i]! < 1 - 1e-4;
    if (inside && (best < 0 || Math.abs(x[i]! - ref[i]!) > Math.abs(x[best]! - ref[best]!)))
      best = i;
  }
  expect(best).toBeGreaterThanOrEqual(0);
  const f = (y[best]! - ref[best]!) / (x[best]! - ref[best]!);
  const want = x.map((v, i) => clamp01(f * v + (1 - f) * ref[i]!));
  expect(maxDiff(y, want)).toBeLessThan(1e-5);
  return f;
};

describe("colorJitter", () => {
  const rgb = { c: 3, h: 5, w: 6 };
  const x = images([24, 3, 5, 6], 31);
  const size = 3 * 5 * 6;

  it("is the identity with zero strengths (and saturation on one channel)", async () => {
    const none = augment.colorJitter({ brightness: 0, contrast: 0, saturation: 0 });
    expect(Array.from(await runAug(none, x))).toEqual(Array.from(x.data));
    const grey = images([4, 1, 5, 6], 32);
    const sat = augment.colorJitter({ saturation: 0.9 });
    expect(Array.from(await runAug(sat, grey))).toEqual(Array.from(grey.data));
  });

  it("scales brightness by a factor in [1 - b, 1 + b] per image, clamped", async () => {
    const y = await runAug(augment.colorJitter({ brightness: 0.8 }), x, 4);
    const fs = new Set<number>();
    for (let n = 0; n < 24; n++) {
      const xi = imageAt(x.data, rgb, n);
      const f = checkBlend(xi, imageAt(y, rgb, n), new Array<number>(size).fill(0));
      expect(f).toBeGreaterThanOrEqual(0.2 - 1e-5);
      expect(f).toBeLessThanOrEqual(1.8 + 1e-5);
      fs.add(Math.round(f * 1e4));
    }
    expect(fs.size).toBe(24);
  });

  it("blends with the mean grey for contrast and with the greyscale image for saturation", async () => {
    const yc = await runAug(augment.colorJitter({ contrast: 0.9 }), x, 5);
    const ys = await runAug(augment.colorJitter({ saturation: 0.9 }), x, 6);
    for (let n = 0; n < 24; n++) {
      const xi = imageAt(x.data, rgb, n);
      const g = greyOf(xi, rgb);
      const m = g.reduce((a, b) => a + b, 0) / g.length;
      const fc = checkBlend(xi, imageAt(yc, rgb, n), new Array<number>(size).fill(m));
      const fsat = checkBlend(xi, imageAt(ys, rgb, n), [...g, ...g, ...g]);
      for (const f of [fc, fsat]) {
        expect(f).toBeGreaterThanOrEqual(0.1 - 1e-5);
        expect(f).toBeLessThanOrEqual(1.9 + 1e-5);
      }
    }
  });

  it("keeps values in [0, 1], and orders the steps per image when asked", async () => {
    const opts = { brightness: 0.9, contrast: 0.9, saturation: 0.9 };
    const xs = images([64, 3, 4, 4], 33);
    const d = { c: 3, h: 4, w: 4 };
    const shuffled = await runAug(augment.colorJitter(opts), xs, 7);
    const fixed = await runAug(augment.colorJitter({ ...opts, randomOrder: false }), xs, 7);
    for (const v of [...shuffled, ...fixed]) expect(v >= 0 && v <= 1).toBe(true);
    // The same factors either way: images whose drawn order is the fixed one agree exactly.
    let same = 0;
    for (let n = 0; n < 64; n++)
      if (maxDiff(imageAt(shuffled, d, n), imageAt(fixed, d, n)) === 0) same++;
    expect(same).toBeGreaterThan(0);
    expect(same).toBeLessThan(40);
  });
});

describe("pcaJitter", () => {
  // An exactly orthonormal basis: a rotation about (1, 1, 1) / sqrt(3).
  const t = 0.7;
  const [c, s] = [Math.cos(t), Math.sin(t)];
  const u = 1 / Math.sqrt(3);
  const rot = [0, 1, 2].map((i) =>
    [0, 1, 2].map((j) => {
      const cross = i === j ? 0 : ((j - i + 3) % 3 === 1 ? -1 : 1) * u;
      return (i === j ? c : 0) + (1 - c) * u * u + s * cross;
    }),
  );
  const eigvals = [0.2175, 0.0188, 0.0045];
  const x = images([256, 3, 2, 2], 41);

  it("is the identity with std 0, and with zero eigenvalues", async () => {
    const a = await runAug(augment.pcaJitter({ eigvals, eigvecs: rot, std: 0 }), x);
    expect(Array.from(a)).toEqual(Array.from(x.data));
    const b = await runAug(augment.pcaJitter({ eigvals: [0, 0, 0], eigvecs: rot }), x);
    expect(Array.from(b)).toEqual(Array.from(x.data));
  });

  it("shifts each image by one colour along the eigenvectors, alpha_i ~ N(0, std)", async () => {
    const std = 0.1;
    const y = await runAug(augment.pcaJitter({ eigvals, eigvecs: rot, std }), x, 3);
    const d = { c: 3, h: 2, w: 2 };
    const alphas: number[][] = [[], [], []];
    for (let n = 0; n < 256; n++) {
      const diff = imageAt(y, d, n).map((v, i) => v - imageAt(x.data, d, n)[i]!);
      const shift = [0, 4, 8].map((o) => diff[o]!);
      for (let i = 0; i < 12; i++)
        expect(Math.abs(diff[i]! - shift[Math.floor(i / 4)]!)).toBeLessThan(1e-6);
      for (let i = 0; i < 3; i++)
        alphas[i]!.push(rot[i]!.reduce((a, v, ch) => a + v * shift[ch]!, 0) / eigvals[i]!);
    }
    // Alpha of the smallest eigenvalue is recovered only to float32 error / 0.0045 ~ 1e-5.
    for (const a of alphas) {
      const sd = Math.sqrt(a.reduce((acc, v) => acc + v * v, 0) / a.length);
      expect(Math.abs(sd - std)).toBeLessThan(5 * (std / Math.sqrt(2 * a.length)));
    }
  });
});

describe("gaussianNoise", () => {
  it("adds noise of the right mean and standard deviation, and clamps when asked", async () => {
    const zeros = hostTensor(new Float32Array(16 * 1024), [16, 1, 32, 32]);
    const std = 0.2;
    const y = await runAug(augment.gaussianNoise({ std }), zeros, 9);
    const n = y.length;
    const mean = y.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    expect(Math.abs(mean)).toBeLessThan((5 * std) / Math.sqrt(n));
    expect(Math.abs(sd - std)).toBeLessThan(5 * (std / Math.sqrt(2 * n)));
    const half = hostTensor(new Float32Array(16 * 1024).fill(0.5), [16, 1, 32, 32]);
    const c = await runAug(augment.gaussianNoise({ std: 1, clip: [0, 1] }), half, 9);
    expect(Math.min(...c)).toBe(0);
    expect(Math.max(...c)).toBe(1);
  });
});

const EVERY: readonly [string, augment.Augmentation][] = [
  ["flipHorizontal", augment.flipHorizontal()],
  ["flipVertical", augment.flipVertical()],
  ["randomCrop", augment.randomCrop({ padding: 2 })],
  ["randomShift", augment.randomShift({ max: 2 })],
  ["randomScale", augment.randomScale({ min: 0.8, max: 1.2 })],
  ["randomRotation", augment.randomRotation({ degrees: 20 })],
  ["colorJitter", augment.colorJitter({ brightness: 0.3, contrast: 0.3, saturation: 0.3 })],
  [
    "pcaJitter",
    augment.pcaJitter({
      eigvals: [0.2, 0.02, 0.004],
      eigvecs: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    }),
  ],
  ["gaussianNoise", augment.gaussianNoise({ std: 0.1 })],
];

describe("every augmentation", () => {
  const x = images([8, 3, 6, 6], 51);

  it.each(EVERY)("%s is deterministic for a key and differs for another key", async (_n, aug) => {
    const a = await runAug(aug, x, 100);
    expect(Array.from(await runAug(aug, x, 100))).toEqual(Array.from(a));
    expect(maxDiff(await runAug(aug, x, 101), a)).toBeGreaterThan(0);
  });

  it("composes in a pipeline with a key per step from foldIn", async () => {
    const [a, b, c] = [EVERY[0]![1], EVERY[3]![1], EVERY[6]![1]];
    const piped = await runAug(augment.pipeline(a, b, c), x, 5);
    const byHand = await runFn(
      cpu,
      ({ k, x: xs }) => c(foldIn(k!, 2), b(foldIn(k!, 1), a(foldIn(k!, 0), xs!))),
      { k: key(5), x },
    );
    expect(Array.from(piped)).toEqual(Array.from(byHand));
    expect(maxDiff(piped, x.data)).toBeGreaterThan(0);
  });

  it("builds on a symbolic batch and matches the concrete one", async () => {
    const all = augment.pipeline(...EVERY.map(([, aug]) => aug));
    const f = compile(
      cpu,
      (io: Tree<Tensor>) => {
        const { k, x: xs } = io as Record<string, Tensor>;
        return { y: all(k!, xs!) };
      },
      { k: { shape: [2], dtype: "int32" }, x: { shape: ["N", 3, 6, 6] } },
    );
    const out = (await f.run({ k: key(3), x })) as { y: HostTensor };
    expect(Array.from(out.y.data)).toEqual(Array.from(await runAug(all, x, 3)));
  });

  it("refuses inputs that are not NCHW float images, naming the shape", () => {
    expect(() =>
      compile(
        cpu,
        (io: Tree<Tensor>) => {
          const xs = (io as Record<string, Tensor>).x!;
          return { y: augment.flipHorizontal()(xs, xs) };
        },
        { x: { shape: [4, 6] } },
      ),
    ).toThrow(/\[N,C,H,W\].*\[4,6\]/);
    expect(() => augment.randomCrop({ padding: -1 })).toThrow(/padding/);
    expect(() => augment.colorJitter({ brightness: -0.1 })).toThrow(/brightness/);
  });
});
