import type { Backend, HostTensor } from "@loom/graph";
import type { CompileOptions, Tensor, TensorSpec } from "@loom/ops";
import { compile } from "@loom/ops";
import { cpuBackend } from "../cpu-backend";
import { referenceBackend } from "../interpreter";

/** A way to run a graph: a backend and how its plan is lowered. */
export interface Variant {
  readonly name: string;
  readonly backend: Backend;
  readonly opts: CompileOptions;
}

/**
 * The fused lowering (optionally memory-planned) with no graph passes before it, whatever
 * `compile` defaults to: constant folding would otherwise hide what fusion and codegen do
 * with constants.
 */
const fused = (memory: boolean, fold = true, epilogues = true): CompileOptions => ({
  optimize: true,
  disable: ["simplify", "schedule", ...(memory ? [] : ["plan-memory"])],
  foldTransposes: fold,
  epilogues,
});

/**
 * Every execution path the optimised pipeline has, each checked against the unfused plan on
 * the reference interpreter: generated JS and closures, with and without an arena, the fused
 * plan on the reference interpreter (its epilogues and transposed reads), fusion with each
 * switch off, and `compile`'s own default for the CPU backend (graph passes included).
 */
export const VARIANTS: readonly Variant[] = [
  { name: "cpu codegen, fused + arena", backend: cpuBackend(), opts: fused(true) },
  { name: "cpu codegen, fused", backend: cpuBackend(), opts: fused(false) },
  {
    name: "cpu closures, fused + arena",
    backend: cpuBackend({ codegen: false }),
    opts: fused(true),
  },
  {
    name: "cpu codegen, no folding, no epilogues",
    backend: cpuBackend(),
    opts: fused(true, false, false),
  },
  { name: "reference interpreter, fused", backend: referenceBackend(), opts: fused(false) },
  { name: "cpu, compile's default", backend: cpuBackend(), opts: {} },
];

/** Feeds by input name. */
export type Feeds = Record<string, HostTensor>;

const fmt = (v: number) => (Object.is(v, -0) ? "-0" : String(v));

/**
 * Checks that `got` matches the reference `want`: same dtype and shape, bit-identical for
 * int32 and bool, and for floats `|got - want| <= rtol * (|want| + scale)`, where `scale` bounds
 * the magnitudes met while computing the value (fusion moves where float32 rounding happens,
 * so the error is relative to the intermediates, not to a result that may have cancelled).
 */
export const mismatch = (
  got: HostTensor,
  want: HostTensor,
  scale: number,
  rtol: number,
): string | undefined => {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} vs ${want.dtype}`;
  if (got.shape.join() !== want.shape.join()) return `shape [${got.shape}] vs [${want.shape}]`;
  for (let i = 0; i < want.data.length; i++) {
    const a = got.data[i]!;
    const b = want.data[i]!;
    const ok =
      want.dtype === "int32" || want.dtype === "bool"
        ? a === b
        : (Number.isNaN(a) && Number.isNaN(b)) ||
          a === b ||
          Math.abs(a - b) <= rtol * (Math.abs(b) + scale);
    if (!ok) return `element ${i}: ${fmt(a)} vs reference ${fmt(b)}`;
  }
  return undefined;
};

/** Relative tolerance per float dtype. */
export const rtolOf = (t: HostTensor) => (t.dtype === "float64" ? 1e-12 : 1e-5);

/**
 * Runs `fn` on the unfused reference and on every variant and returns a description of the
 * first difference (undefined when all agree). `scales` bounds each output's intermediates.
 */
export const compareAll = async (
  fn: (inputs: Record<string, Tensor>) => Record<string, Tensor>,
  specs: Record<string, TensorSpec>,
  feeds: Feeds,
  scales: Readonly<Record<string, number>> = {},
): Promise<string | undefined> => {
  const run = (b: Backend, opts: CompileOptions) =>
    compile(b, fn as never, specs, opts).run(feeds as never) as Promise<Record<string, HostTensor>>;
  const want = await run(referenceBackend(), { optimize: false });
  for (const v of VARIANTS) {
    const got = await run(v.backend, v.opts);
    for (const [name, w] of Object.entries(want)) {
      const g = got[name];
      if (g === undefined) return `${v.name}: output ${name} missing`;
      const scale = scales[name] ?? Math.max(0, ...Array.from(w.data, (x) => Math.abs(x)));
      const m = mismatch(g, w, Number.isFinite(scale) ? scale : 0, rtolOf(w));
      if (m !== undefined) return `${v.name}: output ${name}: ${m}`;
    }
  }
  return undefined;
};

/** A small deterministic generator (mulberry32), so fast-check shrinks seeds, not arrays. */
export const rng = (seed: number) => {
  let s = seed >>> 0;
  return (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Values on a grid of quarters in [-lim, lim]: float32 sums and products of them stay exact. */
export const gridValues = (n: number, seed: number, lim = 4): number[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.round((r() * 2 - 1) * lim * 4) / 4);
};
