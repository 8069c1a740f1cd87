import type { Backend, HostTensor } from "@loom/graph";
import type { CompileOptions, Tensor, TensorSpec } from "@loom/ops";
import { compile } from "@loom/ops";
import { cpuBackend, referenceBackend } from "@loom/backend-cpu";
import type { BackendUnderTest } from "./backends";
import type { Feeds } from "./compare";
import { mismatch } from "./compare";

/** A way to run a graph: a backend and how its plan is lowered. */
export interface Variant {
  readonly name: string;
  readonly backend: () => Backend;
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
 * Every execution path the optimised pipeline has on backend `b`, each checked against the
 * unfused plan on the reference interpreter: compile's own default (graph passes included),
 * and, when the backend lists variants, the fused plan with and without an arena and with
 * folding and epilogues off; the CPU backends add their closures (no generated JS).
 */
export const variantsOf = (b: BackendUnderTest): readonly Variant[] => {
  const base: Variant[] = [{ name: `${b.name}, compile's default`, backend: b.backend, opts: {} }];
  if (!b.variants) return base;
  const more: Variant[] = [
    { name: `${b.name}, fused + arena`, backend: b.backend, opts: fused(true) },
    { name: `${b.name}, fused`, backend: b.backend, opts: fused(false) },
    {
      name: `${b.name}, no folding, no epilogues`,
      backend: b.backend,
      opts: fused(true, false, false),
    },
  ];
  const closures: Variant[] = b.name.startsWith("cpu")
    ? [
        {
          name: `${b.name} closures, fused + arena`,
          backend: () => cpuBackend({ codegen: false }),
          opts: fused(true),
        },
      ]
    : [];
  return [...more, ...closures, ...base];
};

/** Relative tolerance per float dtype. */
export const rtolOf = (t: HostTensor) => (t.dtype === "float64" ? 1e-12 : 1e-5);

/**
 * Runs `fn` on the unfused reference and on every variant of backend `b` and returns a
 * description of the first difference (undefined when all agree). `scales` bounds each
 * output's intermediates (default: its largest |value|).
 */
export const compareAll = async (
  b: BackendUnderTest,
  fn: (inputs: Record<string, Tensor>) => Record<string, Tensor>,
  specs: Record<string, TensorSpec>,
  feeds: Feeds,
  scales: Readonly<Record<string, number>> = {},
): Promise<string | undefined> => {
  const run = (backend: Backend, opts: CompileOptions) =>
    compile(backend, fn as never, specs, opts).run(feeds as never) as Promise<
      Record<string, HostTensor>
    >;
  const want = await run(referenceBackend(), { optimize: false });
  for (const v of variantsOf(b)) {
    const got = await run(v.backend(), v.opts);
    for (const [name, w] of Object.entries(want)) {
      const g = got[name];
      if (g === undefined) return `${v.name}: output ${name} missing`;
      const scale = scales[name] ?? Math.max(0, ...Array.from(w.data, (x) => Math.abs(x)));
      const m = mismatch(g, w, { rtol: rtolOf(w), scale: Number.isFinite(scale) ? scale : 0 });
      if (m !== undefined) return `${v.name}: output ${name}: ${m}`;
    }
  }
  return undefined;
};
