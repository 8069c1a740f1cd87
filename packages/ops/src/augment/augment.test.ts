import { describe, expect, it } from "vitest";
import type { Tensor } from "../index";
import { augment, hostTensor, key, mul, reshape, sub, uniform } from "../index";
import type { Pixels } from "@loom/testing";
import { cpuBackend } from "@loom/backend-cpu";

const cpu = cpuBackend();
import {
  at,
  describeBackends,
  imageAt,
  imageOf,
  images,
  maxDiff,
  runAug,
  runFn,
} from "@loom/testing";

// Execution tests of packages/ops/src/augment (ops' own tests may not run graphs). Every
// expectation is a plain-JS reference on the host: crops, shifts, flips and bilinear zooms
// written out directly, and properties that hold for exact rotations (centroids, transposes).

describe("geometric augmentations", () => {
  describeBackends(["cpu", "reference"], (on) => {
    const backend = on.make();
    const dims = { c: 2, h: 6, w: 7 };
    const x = images([16, 2, 6, 7], 11, 0.1, 1);

    it("flips each image or leaves it, and flipping twice with one key is the identity", async () => {
      for (const [flipAug, mirror] of [
        [
          augment.flipHorizontal(),
          (f: Pixels) => (c: number, r: number, col: number) => f(c, r, dims.w - 1 - col),
        ],
        [
          augment.flipVertical({ p: 0.5 }),
          (f: Pixels) => (c: number, r: number, col: number) => f(c, dims.h - 1 - r, col),
        ],
      ] as const) {
        const y = await runAug(flipAug, x, 5, backend);
        let flipped = 0;
        for (let n = 0; n < 16; n++) {
          const got = imageAt(y, dims, n);
          const same = maxDiff(got, imageAt(x.data, dims, n)) === 0;
          const mirrored = maxDiff(got, imageOf(dims, mirror(at(x.data, dims, n)))) === 0;
          expect(same || mirrored).toBe(true);
          if (mirrored) flipped++;
        }
        expect(flipped).toBeGreaterThan(0);
        expect(flipped).toBeLessThan(16);
        const twice = await runFn(backend, ({ k, x: xs }) => flipAug(k!, flipAug(k!, xs!)), {
          k: key(5),
          x,
        });
        expect(Array.from(twice)).toEqual(Array.from(x.data));
      }
    });

    it("flips with p = 1 always and with p = 0 never", async () => {
      const all = await runAug(augment.flipHorizontal({ p: 1 }), x, 2, backend);
      for (let n = 0; n < 16; n++) {
        const f = at(x.data, dims, n);
        expect(imageAt(all, dims, n)).toEqual(
          imageOf(dims, (c, r, col) => f(c, r, dims.w - 1 - col)),
        );
      }
      expect(Array.from(await runAug(augment.flipVertical({ p: 0 }), x, 2, backend))).toEqual(
        Array.from(x.data),
      );
    });

    it("crops with padding 0 to the identity", async () => {
      const y = await runAug(augment.randomCrop({ padding: 0 }), x, 9, backend);
      expect(Array.from(y)).toEqual(Array.from(x.data));
    });

    it("crops only windows of the zero-padded image, at offsets in [0, 2 * padding]", async () => {
      const p = 2;
      const y = await runAug(augment.randomCrop({ padding: p }), x, 4, backend);
      expect(y.length).toBe(x.data.length);
      const offsets = new Set<string>();
      for (let n = 0; n < 16; n++) {
        const got = imageAt(y, dims, n);
        const f = at(x.data, dims, n);
        // The padded image at (r, c) is x at (r - p, c - p); search every window of it.
        const hits: string[] = [];
        for (let oy = 0; oy <= 2 * p; oy++)
          for (let ox = 0; ox <= 2 * p; ox++) {
            const crop = imageOf(dims, (ch, r, col) => f(ch, r + oy - p, col + ox - p));
            if (maxDiff(got, crop) === 0) hits.push(`${oy},${ox}`);
          }
        expect(hits).toHaveLength(1);
        offsets.add(hits[0]!);
      }
      expect(offsets.size).toBeGreaterThan(4);
    });

    it("shifts a marker pixel by the drawn amount, and the image with it, filling zeros", async () => {
      const max = 3;
      const h = 9;
      const w = 9;
      const d = { c: 2, h, w };
      const base = images([32, 2, h, w], 8, 0.1, 1);
      const data = Float32Array.from(base.data);
      for (let n = 0; n < 32; n++) {
        for (let i = 0; i < h * w; i++) data[(n * 2 + 1) * h * w + i] = 0;
        data[(n * 2 + 1) * h * w + 4 * w + 4] = 1; // the marker, in the centre of channel 1
      }
      const xs = hostTensor(data, [32, 2, h, w]);
      const y = await runAug(augment.randomShift({ max }), xs, 21, backend);
      const dys = new Set<number>();
      for (let n = 0; n < 32; n++) {
        const marker = imageAt(y, d, n).slice(h * w);
        const pos = marker.indexOf(1);
        expect(marker.filter((v) => v !== 0)).toEqual([1]);
        const [dy, dx] = [Math.floor(pos / w) - 4, (pos % w) - 4];
        expect(Math.abs(dy)).toBeLessThanOrEqual(max);
        expect(Math.abs(dx)).toBeLessThanOrEqual(max);
        dys.add(dy);
        const f = at(data, d, n);
        expect(imageAt(y, d, n)).toEqual(imageOf(d, (ch, r, col) => f(ch, r - dy, col - dx)));
      }
      expect(dys.size).toBeGreaterThan(3);
    });

    it("scales with min = max = 1 to the identity", async () => {
      const y = await runAug(augment.randomScale({ min: 1, max: 1 }), x, 3, backend);
      expect(Array.from(y)).toEqual(Array.from(x.data));
    });

    it("zooms about the centre as bilinear interpolation with zero fill", async () => {
      const factors = [0.7, 1.3, 1.5];
      const xs = images([3, 2, 6, 7], 12);
      const y = await runFn(backend, ({ x: v, s }) => augment.scale(v!, s!), {
        x: xs,
        s: hostTensor(factors, [3]),
      });
      const fixed = await runAug(augment.randomScale({ min: 1.5, max: 1.5 }), xs, 7, backend);
      // Plain bilinear: output pixel i reads (i - c) / s + c, between floor and floor + 1.
      const lerp1 = (u: number, get: (j: number) => number) => {
        const j = Math.floor(u);
        return (1 - (u - j)) * get(j) + (u - j) * get(j + 1);
      };
      for (let n = 0; n < 3; n++) {
        const s = factors[n]!;
        const f = at(xs.data, dims, n);
        const src = (i: number, size: number) => (i - (size - 1) / 2) / s + (size - 1) / 2;
        const want = imageOf(dims, (ch, r, col) =>
          lerp1(src(r, dims.h), (rr) => lerp1(src(col, dims.w), (cc) => f(ch, rr, cc))),
        );
        expect(maxDiff(imageAt(y, dims, n), want)).toBeLessThan(1e-5);
        if (n === 2) expect(maxDiff(imageAt(fixed, dims, 2), want)).toBeLessThan(1e-5);
      }
    });

    it("rotates by 0 degrees to the identity", async () => {
      const y = await runAug(augment.randomRotation({ degrees: 0 }), x, 3, backend);
      expect(maxDiff(y, x.data)).toBeLessThan(1e-6);
      const x4 = hostTensor(x.data.subarray(0, 4 * 84), [4, 2, 6, 7]);
      const z = await runFn(backend, ({ x: v, a }) => augment.rotate(v!, a!), {
        x: x4,
        a: hostTensor([0, 0, -0, 0], [4]),
      });
      expect(maxDiff(z, x4.data)).toBeLessThan(1e-6);
    });

    it("rotates a square image by ±90° and 180° as transposes and flips, away from the corners", async () => {
      const s = 9;
      const d = { c: 1, h: s, w: s };
      const xs = images([3, 1, s, s], 14);
      const angles = [Math.PI / 2, -Math.PI / 2, Math.PI];
      const y = await runFn(backend, ({ x: v, a }) => augment.rotate(v!, a!), {
        x: xs,
        a: hostTensor(angles, [3]),
      });
      const c = (s - 1) / 2;
      const rotations = [
        (f: Pixels) => (_: number, r: number, col: number) => f(0, col, s - 1 - r), // counter-clockwise
        (f: Pixels) => (_: number, r: number, col: number) => f(0, s - 1 - col, r), // clockwise
        (f: Pixels) => (_: number, r: number, col: number) => f(0, s - 1 - r, s - 1 - col),
      ];
      for (let n = 0; n < 3; n++) {
        const want = imageOf(d, rotations[n]!(at(xs.data, d, n)));
        const got = imageAt(y, d, n);
        for (let r = 0; r < s; r++)
          for (let col = 0; col < s; col++) {
            // The shears keep what stays in frame throughout: |x + y| <= c for +90° (x right, y up).
            const [px, py] = [col - c, c - r];
            const inside = n === 2 || Math.abs(n === 0 ? px + py : px - py) <= c;
            if (inside) expect(Math.abs(got[r * s + col]! - want[r * s + col]!)).toBeLessThan(1e-5);
          }
      }
    });
  });
});

// The reference interpreter is slow on these batched 5-D matmuls; the cpu runs the same graph.
describe("rotation on cpu", () => {
  it("rotates a blob's centroid and keeps its mass, for small and large angles", async () => {
    const s = 23;
    const d = { c: 1, h: s, w: s };
    const c = (s - 1) / 2;
    const [bx, by] = [5, 2]; // blob centre, x right and y up from the image centre
    const blob = imageOf(d, (_, r, col) =>
      Math.exp(-((col - c - bx) ** 2 + (c - r - by) ** 2) / (2 * 1.5 ** 2)),
    );
    const angles = [(50 * Math.PI) / 180, (-150 * Math.PI) / 180];
    const y = await runFn(cpu, ({ x: v, a }) => augment.rotate(v!, a!), {
      x: hostTensor([...blob, ...blob], [2, 1, s, s]),
      a: hostTensor(angles, [2]),
    });
    const moments = (img: number[]) => {
      let [m, mx, my] = [0, 0, 0];
      img.forEach((v, i) => {
        m += v;
        mx += v * ((i % s) - c);
        my += v * (c - Math.floor(i / s));
      });
      return { m, x: mx / m, y: my / m };
    };
    const before = moments(blob);
    for (let n = 0; n < 2; n++) {
      const t = angles[n]!;
      const after = moments(imageAt(y, d, n));
      // Linear interpolation moves mass and first moments exactly with each shear.
      expect(Math.abs(after.m - before.m)).toBeLessThan(1e-3);
      expect(Math.abs(after.x - (before.x * Math.cos(t) - before.y * Math.sin(t)))).toBeLessThan(
        1e-3,
      );
      expect(Math.abs(after.y - (before.x * Math.sin(t) + before.y * Math.cos(t)))).toBeLessThan(
        1e-3,
      );
    }
  });

  it.each([20, 89, 170])(
    "randomRotation (degrees %i) reads only the neighbours its bound allows, and agrees with rotate",
    async (degrees) => {
      const xs = images([8, 2, 12, 10], 61);
      const max = (degrees * Math.PI) / 180;
      // The same draw as randomRotation's: u per image from the key, angle (2u - 1) * max.
      const angle = (k: Tensor) => mul(sub(mul(uniform(k, [8, 1, 1, 1]), 2), 1), max);
      const banded = await runAug(augment.randomRotation({ degrees }), xs, 13);
      const full = await runFn(cpu, ({ k, x: v }) => augment.rotate(v!, reshape(angle(k!), [8])), {
        k: key(13),
        x: xs,
      });
      expect(maxDiff(banded, full)).toBeLessThan(1e-5);
      expect(maxDiff(banded, xs.data)).toBeGreaterThan(0.01);
    },
  );
});
