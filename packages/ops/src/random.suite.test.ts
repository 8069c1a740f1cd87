import { describe, expect, it } from "vitest";
import { threefry2x32 } from "@loom/graph";
import type { HostTensor } from "@loom/graph";
import type { Tensor, Tree } from "./index";
import {
  bernoulli,
  compile,
  foldIn,
  hostTensor,
  key,
  normal,
  prim,
  randomBits,
  split,
  uniform,
} from "./index";
import { ALL_BACKENDS, compareWithCpu, describeBackends, rng, runOn } from "@loom/testing";

// Counter-based random numbers must give the same bits on every backend: Threefry (in GLSL,
// uint arithmetic) against Random123's known answers, the plain-JS threefry2x32 and the CPU
// backend, bit for bit.

const EXTREMES = [0, 1, -1, 2147483647, -2147483648, 0x1bd11bda, 12345, -987654321];

describeBackends(ALL_BACKENDS, (on) => {
  describe("threefry known answers", () => {
    // Known-answer vectors of Threefry-2x32-20 from Random123 (kat_vectors), first output word.
    it.each([
      [[0, 0], [0, 0], 0x6b200159],
      [[-1, -1], [-1, -1], 0x1cb996fc],
      [[0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3 | 0], 0xc4923a9c | 0],
    ])("key %j counter %j gives %i", async (k, c, want) => {
      const spec = { shape: [], dtype: "int32" } as const;
      const f = compile(
        on.backend(),
        (io: Tree<Tensor>) => {
          const { k0, k1, c0, c1 } = io as Record<string, Tensor>;
          return { y: prim("threefry", [k0!, k1!, c0!, c1!]) };
        },
        { k0: spec, k1: spec, c0: spec, c1: spec },
      );
      const s = (v: number) => hostTensor([v], [], "int32");
      const out = (await f.run({ k0: s(k[0]!), k1: s(k[1]!), c0: s(c[0]!), c1: s(c[1]!) })) as {
        y: HostTensor;
      };
      expect(Array.from(out.y.data)).toEqual([want]);
    });
  });

  describe("threefry", () => {
    it("equals threefry2x32 on arbitrary words, extremes included", async () => {
      const r = rng(7);
      const n = 4096 + 37; // more than one texture row
      const word = (i: number) =>
        i < EXTREMES.length ** 2 ? EXTREMES[i % EXTREMES.length]! : (r() * 2 ** 32) | 0;
      const cols = [0, 1, 2, 3].map((c) =>
        Int32Array.from({ length: n }, (_, i) => word(c % 2 === 0 ? i : Math.floor(i / 8) * 3 + i)),
      );
      const feeds = Object.fromEntries(cols.map((d, c) => [`w${c}`, hostTensor(d, [n], "int32")]));
      const specs = Object.fromEntries(
        cols.map((_, c) => [`w${c}`, { shape: [n], dtype: "int32" as const }]),
      );
      const fn = ((w: Record<string, Tensor>) => ({
        y: prim("threefry", [w["w0"]!, w["w1"]!, w["w2"]!, w["w3"]!]),
      })) as never;
      const got = await runOn(on.backend(), fn, specs, feeds);
      const want = Int32Array.from({ length: n }, (_, i) =>
        threefry2x32(cols[0]![i]!, cols[1]![i]!, cols[2]![i]!, cols[3]![i]!),
      );
      expect(got["y"]!.data).toEqual(want);
    });

    it("randomBits, split and foldIn give the CPU backend's bits", async () => {
      const fn = (({ k }: { k: Tensor }) => {
        const [a, b] = split(k);
        return {
          bits: randomBits(k, [3, 1000]),
          a: randomBits(a!, [17]),
          folded: randomBits(foldIn(b!, 42), [5, 5]),
        };
      }) as never;
      const r = await compareWithCpu(
        on.backend(),
        fn,
        { k: { shape: [2], dtype: "int32" } },
        { k: key(2024) },
        {
          rtol: 0,
        },
      );
      expect(r).toBeUndefined();
    });

    it("uniform and bernoulli are exact; normal is within a few ulps", async () => {
      const fn = (({ k }: { k: Tensor }) => ({
        u: uniform(k, [64, 64], -3, 5),
        b: bernoulli(k, 0.3, [100]),
        n: normal(k, [4000], 1, 2),
      })) as never;
      const r = await compareWithCpu(
        on.backend(),
        fn,
        { k: { shape: [2], dtype: "int32" } },
        { k: key(7) },
        (name) => (name === "n" ? { rtol: 1e-6, scale: 1 } : { rtol: 0 }),
      );
      expect(r).toBeUndefined();
    });
  });
});
