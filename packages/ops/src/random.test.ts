import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectWithin5Sigma, moments } from "@loom/testing";
import type { Backend, HostTensor, Shape } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "./index";
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
  splitKeys,
  uniform,
} from "./index";
import { cpuBackend } from "@loom/backend-cpu";
import { referenceBackend } from "@loom/backend-cpu";

// Execution tests of packages/ops/src/random.ts (ops' own tests may not run graphs).

const cpu = cpuBackend();
const KEY_SPEC = { shape: [2], dtype: "int32" } as const satisfies TensorSpec;

/** Compiles `fn` of a key for `backend` and runs it on `key(seed)`. */
const runKeyed = async (
  backend: Backend,
  fn: (k: Tensor) => Record<string, Tensor>,
  seed: number,
): Promise<Record<string, HostTensor>> => {
  const f = compile(backend, ({ k }: Record<string, Tree<Tensor>>) => fn(k as Tensor), {
    k: KEY_SPEC,
  });
  return (await f.run({ k: key(seed) })) as Record<string, HostTensor>;
};

const list = (t: HostTensor): number[] => Array.from(t.data);

const N = 100_000;

describe("key", () => {
  it("packs the seed as [hi, lo] int32 words, deterministically", () => {
    expect(list(key(7))).toEqual([0, 7]);
    expect(list(key(7))).toEqual(list(key(7)));
    expect(list(key(2 ** 40 + 3))).toEqual([256, 3]);
    expect(list(key(2 ** 32 - 1))).toEqual([0, -1]);
    expect(list(key(-1))).toEqual([-1, -1]);
    expect(key(0).dtype).toBe("int32");
  });

  it("refuses seeds that are not safe integers", () => {
    for (const s of [0.5, NaN, Infinity, 2 ** 53]) {
      expect(() => key(s)).toThrow(LoomError);
    }
  });
});

describe("split and foldIn", () => {
  const derive = (k: Tensor) => {
    const [a, b, c] = split(k, 3);
    return { a: a!, b: b!, c: c!, f0: foldIn(k, 0), f1: foldIn(k, 1), f7: foldIn(k, 7) };
  };
  const f = compile(cpu, ({ k }: Record<string, Tree<Tensor>>) => derive(k as Tensor), {
    k: KEY_SPEC,
  });
  const keysOf = async (seed: number) => {
    const out = (await f.run({ k: key(seed) })) as Record<string, HostTensor>;
    return Object.fromEntries(Object.entries(out).map(([n, t]) => [n, list(t).join(",")]));
  };

  it("derive keys that differ from each other and from the parent, for any seed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), async (seed) => {
        const ks = await keysOf(seed);
        const all = [list(key(seed)).join(","), ...Object.values(ks)];
        expect(new Set(all).size).toBe(all.length);
      }),
      { numRuns: 40 },
    );
  });

  it("are deterministic, and different seeds give different keys", async () => {
    const a = await keysOf(123);
    expect(await keysOf(123)).toEqual(a);
    const b = await keysOf(124);
    for (const name of Object.keys(a)) expect(b[name]).not.toBe(a[name]);
  });

  it("splitKeys stacks the keys that split returns", async () => {
    const out = await runKeyed(
      cpu,
      (k) => {
        const [a, b] = split(k, 2);
        return { stack: splitKeys(k, 2), a: a!, b: b! };
      },
      9,
    );
    expect(out["stack"]!.shape).toEqual([2, 2]);
    expect(list(out["stack"]!)).toEqual([...list(out["a"]!), ...list(out["b"]!)]);
  });

  it("foldIn refuses data that is not a scalar and keys that are not i32[2]", () => {
    const f32key = prim("input", [], { name: "k", shape: [2], dtype: "float32" });
    expect(() => foldIn(f32key, 0)).toThrow(/i32\[2\]/);
    const k = prim("input", [], { name: "k", shape: [2], dtype: "int32" });
    expect(() => foldIn(k, [1, 2] as never)).toThrow(LoomError);
  });
});

describe("random bits", () => {
  it("differ between keys (about 1 equal word in 2^32)", async () => {
    const fn = (k: Tensor) => ({ bits: randomBits(k, [4096]) });
    const [a, b] = await Promise.all([runKeyed(cpu, fn, 1), runKeyed(cpu, fn, 2)]);
    const same = list(a.bits!).filter((v, i) => v === b.bits!.data[i]).length;
    expect(same).toBeLessThanOrEqual(1);
    expect(new Set(list(a.bits!)).size).toBeGreaterThan(4090);
  });

  it("depend only on the linear index, so a symbolic batch gives a prefix of a larger one", async () => {
    const f = compile(
      cpu,
      ({ k, x }: Record<string, Tree<Tensor>>) => ({
        u: uniform(k as Tensor, (x as Tensor).shape),
      }),
      { k: KEY_SPEC, x: { shape: ["N", 3] } },
    );
    const run = async (n: number) =>
      list(
        (
          (await f.run({ k: key(5), x: hostTensor(new Float32Array(n * 3), [n, 3]) })) as {
            u: HostTensor;
          }
        ).u,
      );
    const small = await run(2);
    const big = await run(4);
    expect(small).toHaveLength(6);
    expect(big.slice(0, 6)).toEqual(small);
  });
});

describe("distributions (100k samples on cpuBackend, 5-sigma tolerances)", () => {
  it("uniform is in [0, 1) with mean 1/2 and variance 1/12", async () => {
    const { u } = await runKeyed(cpu, (k) => ({ u: uniform(k, [N]) }), 2024);
    const xs = u!.data;
    expect(xs.every((v) => v >= 0 && v < 1)).toBe(true);
    const m = moments(xs);
    expectWithin5Sigma(m.mean, 0.5, Math.sqrt(1 / 12 / N), "mean");
    // Var((U - 1/2)^2) = E(U - 1/2)^4 - (1/12)^2 = 1/80 - 1/144 = 1/180.
    expectWithin5Sigma(m.variance, 1 / 12, Math.sqrt(1 / 180 / N), "variance");
    // Each tenth of [0, 1) holds a binomial(N, 0.1) count.
    const bins = new Array<number>(10).fill(0);
    for (const v of xs) bins[Math.floor(v * 10)]! += 1;
    for (const c of bins) expectWithin5Sigma(c, N / 10, Math.sqrt(N * 0.1 * 0.9), "bin count");
  });

  it("uniform(lo, hi) is in [lo, hi) with mean (lo + hi) / 2", async () => {
    const { u } = await runKeyed(cpu, (k) => ({ u: uniform(k, [N], -3, 5) }), 11);
    const xs = u!.data;
    expect(xs.every((v) => v >= -3 && v < 5)).toBe(true);
    const m = moments(xs);
    expectWithin5Sigma(m.mean, 1, Math.sqrt(64 / 12 / N), "mean");
    expectWithin5Sigma(m.variance, 64 / 12, 64 * Math.sqrt(1 / 180 / N), "variance");
  });

  it("normal has mean 0, std 1, kurtosis 3 and 68.27% within one std", async () => {
    const { z } = await runKeyed(cpu, (k) => ({ z: normal(k, [N]) }), 77);
    const xs = z!.data;
    expect(xs.every(Number.isFinite)).toBe(true);
    const m = moments(xs);
    expectWithin5Sigma(m.mean, 0, Math.sqrt(1 / N), "mean");
    // Var(sample variance) = (mu4 - sigma^4) / n = 2 / n; Var(sample kurtosis) ~ 24 / n.
    expectWithin5Sigma(m.variance, 1, Math.sqrt(2 / N), "variance");
    expectWithin5Sigma(m.kurtosis, 3, Math.sqrt(24 / N), "kurtosis");
    const p = 0.6826894921370859;
    const inside = xs.filter((v) => Math.abs(v) < 1).length / N;
    expectWithin5Sigma(inside, p, Math.sqrt((p * (1 - p)) / N), "P(|z| < 1)");
  });

  it("normal(mean, std) shifts and scales", async () => {
    const { z } = await runKeyed(cpu, (k) => ({ z: normal(k, [N], 2, 3) }), 78);
    const m = moments(z!.data);
    expectWithin5Sigma(m.mean, 2, 3 / Math.sqrt(N), "mean");
    expectWithin5Sigma(m.variance, 9, 9 * Math.sqrt(2 / N), "variance");
  });

  it.each([0.1, 0.5, 0.9])("bernoulli(%f) is true with frequency p", async (p) => {
    const { b } = await runKeyed(cpu, (k) => ({ b: bernoulli(k, p, [N]) }), 5);
    expect(b!.dtype).toBe("bool");
    const freq = list(b!).filter((v) => v === 1).length / N;
    expectWithin5Sigma(freq, p, Math.sqrt((p * (1 - p)) / N), "frequency");
  });

  it("bernoulli(0) is never true, bernoulli(1) always, and p outside [0, 1] is refused", async () => {
    const out = await runKeyed(
      cpu,
      (k) => ({ never: bernoulli(k, 0, [1000]), always: bernoulli(k, 1, [1000]) }),
      3,
    );
    expect(list(out["never"]!).every((v) => v === 0)).toBe(true);
    expect(list(out["always"]!).every((v) => v === 1)).toBe(true);
    const k = prim("input", [], { name: "k", shape: [2], dtype: "int32" });
    expect(() => bernoulli(k, 1.5, [3])).toThrow(/p must be in \[0, 1\]/);
    expect(() => bernoulli(k, NaN, [3])).toThrow(LoomError);
  });
});

describe("the same bits on every CPU backend", () => {
  const shape: Shape = [37, 29];
  const fn = (k: Tensor) => {
    const [k1, k2] = split(k, 2);
    return {
      bits: randomBits(k, shape),
      keys: splitKeys(k, 5),
      folded: foldIn(k1!, 12345),
      uniform01: uniform(k2!, shape),
      normal64: normal(k, shape, 0, 1, "float64"),
      bernoulli: bernoulli(k1!, 0.3, shape),
      // f32 arithmetic on the random numbers: see the last assertion.
      uniform: uniform(k2!, shape, -1, 2),
      normal: normal(foldIn(k, 3), shape),
    };
  };
  const bytes = (t: HostTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

  it.each([0, 1, 2 ** 33 + 17])(
    "seed %i: cpuBackend and referenceBackend agree bit for bit",
    async (seed) => {
      const a = await runKeyed(cpu, fn, seed);
      const b = await runKeyed(referenceBackend(), fn, seed);
      for (const name of Object.keys(b)) {
        expect(a[name]!.dtype, name).toBe(b[name]!.dtype);
        expect(a[name]!.shape, name).toEqual(b[name]!.shape);
      }
      for (const name of ["bits", "keys", "folded", "uniform01", "normal64", "bernoulli"]) {
        expect(bytes(a[name]!).equals(bytes(b[name]!)), name).toBe(true);
      }
      // The fused CPU kernels evaluate a chain of f32 ops in double and round once at the store;
      // the reference rounds after every op. So f32 values computed FROM the random numbers
      // (lo + u (hi - lo), Box-Muller) may differ in their last bits (Box-Muller's log(1 - u)
      // near u = 0 magnifies one rounding of 1 - u to ~10 ulp), never by more.
      for (const name of ["uniform", "normal"]) {
        a[name]!.data.forEach((v, i) => {
          const w = b[name]!.data[i]!;
          if (!(Math.abs(v - w) <= 2 ** -16 * Math.max(1, Math.abs(w))))
            expect.fail(`${name}[${i}]: cpu ${v}, reference ${w}`);
        });
      }
    },
  );
});
