import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Tensor } from "../index";
import {
  binaryCrossEntropyWithLogits,
  compile,
  constant,
  hostTensor,
  l1Loss,
  mse,
  softmaxCrossEntropy,
} from "../index";
import { assertVjp, randomTensor, rng, seedArb } from "@loom/testing";

// Before: every loss was a mean (no `reduction`), cross-entropy had neither labelSmoothing nor
// ignoreIndex, and there was no l1Loss; an options argument was ignored silently.

const cpu = cpuBackend();

const run = async (f: (a: Tensor, b: Tensor) => Tensor, a: HostTensor, b: HostTensor) => {
  const exe = compile(cpu, ({ a: x, b: y }: { a: Tensor; b: Tensor }) => ({ y: f(x, y) }), {
    a: { shape: a.shape, dtype: a.dtype },
    b: { shape: b.shape, dtype: b.dtype },
  });
  return [...((await exe.run({ a, b })) as { y: HostTensor }).y.data];
};

/** torch.nn.functional.cross_entropy in plain float64 JS: per-row losses, and the count kept. */
const ceRef = (logits: number[][], labels: number[], eps: number, ignore?: number) => {
  const rows = logits.map((row, i) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    const logp = row.map((v) => v - lse);
    if (labels[i] === ignore) return 0;
    const nll = -logp[labels[i]!]!;
    const smooth = -logp.reduce((s, v) => s + v, 0) / row.length;
    return (1 - eps) * nll + eps * smooth;
  });
  const kept = labels.filter((l) => l !== ignore).length;
  return { rows, sum: rows.reduce((s, v) => s + v, 0), kept };
};

const expectAll = (got: number[], want: number[], tol = 1e-12) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) =>
    expect(Math.abs(g - want[i]!), `${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(want[i]!)),
    ),
  );
};

describe("loss reductions (PyTorch's reduction='mean' | 'sum' | 'none')", () => {
  const p = hostTensor([0.5, -1, 2, 3.25, 0, -0.5], [2, 3], "float64");
  const t = hostTensor([1, 1, -1, 3, 0.5, 0.5], [2, 3], "float64");
  const diff = [-0.5, -2, 3, 0.25, -0.5, -1];
  const cases = [
    ["mse", mse, diff.map((d) => d * d)],
    ["l1Loss", l1Loss, diff.map(Math.abs)],
  ] as const;
  it.each(cases)("%s", async (_name, loss, elems) => {
    const total = elems.reduce((s, v) => s + v, 0);
    expectAll(await run((a, b) => loss(a, b, { reduction: "none" }), p, t), elems);
    expectAll(await run((a, b) => loss(a, b, { reduction: "sum" }), p, t), [total]);
    expectAll(await run((a, b) => loss(a, b), p, t), [total / 6]);
    expectAll(await run((a, b) => loss(a, b, { reduction: "mean" }), p, t), [total / 6]);
  });

  it("binaryCrossEntropyWithLogits", async () => {
    const y = hostTensor([1, 0, 0.25, 1, 0, 0.5], [2, 3], "float64");
    const elems = Array.from(
      p.data,
      (x, i) => Math.max(x, 0) - x * y.data[i]! + Math.log1p(Math.exp(-Math.abs(x))),
    );
    const total = elems.reduce((s, v) => s + v, 0);
    expectAll(
      await run((a, b) => binaryCrossEntropyWithLogits(a, b, { reduction: "none" }), p, y),
      elems,
    );
    expectAll(await run((a, b) => binaryCrossEntropyWithLogits(a, b, { reduction: "sum" }), p, y), [
      total,
    ]);
    expectAll(await run((a, b) => binaryCrossEntropyWithLogits(a, b), p, y), [total / 6]);
  });

  it("refuses an unknown reduction and unknown keys", () => {
    const x = constant([1, 2], [2], "float32");
    expect(() => mse(x, x, { reduction: "avg" as never })).toThrow(/reduction must be/);
    expect(() => mse(x, x, { reduce: "sum" } as never)).toThrow(LoomError);
  });
});

describe("softmaxCrossEntropy: labelSmoothing and ignoreIndex as torch's cross_entropy", () => {
  const logits = [
    [1, 2, 3, 0.5],
    [-1, 0, 4, 2],
    [0.25, 0.25, -3, 1],
    [2, -2, 0, 0],
  ];
  const labels = [2, 0, -100, 3];
  const lg = hostTensor(logits.flat(), [4, 4], "float64");
  const lb = hostTensor(labels, [4], "int32");

  for (const eps of [0, 0.1, 1]) {
    it(`ignoreIndex -100, labelSmoothing ${eps}`, async () => {
      const r = ceRef(logits, labels, eps, -100);
      const o = { labelSmoothing: eps, ignoreIndex: -100 };
      expectAll(
        await run((a, b) => softmaxCrossEntropy(a, b, { ...o, reduction: "none" }), lg, lb),
        r.rows,
      );
      expectAll(
        await run((a, b) => softmaxCrossEntropy(a, b, { ...o, reduction: "sum" }), lg, lb),
        [r.sum],
      );
      expectAll(await run((a, b) => softmaxCrossEntropy(a, b, o), lg, lb), [r.sum / r.kept]);
    });
  }

  it("ignores label -100 by default, as torch's ignore_index default", async () => {
    for (const eps of [0, 0.1]) {
      const r = ceRef(logits, labels, eps, -100);
      const o = { labelSmoothing: eps };
      expectAll(
        await run((a, b) => softmaxCrossEntropy(a, b, { ...o, reduction: "none" }), lg, lb),
        r.rows,
      );
      expectAll(await run((a, b) => softmaxCrossEntropy(a, b, o), lg, lb), [r.sum / r.kept]);
    }
  });

  it("another ignoreIndex replaces the default", async () => {
    const lab = [2, 0, 1, 3];
    const r = ceRef(logits, lab, 0, 1);
    const b = hostTensor(lab, [4], "int32");
    expectAll(await run((a, c) => softmaxCrossEntropy(a, c, { ignoreIndex: 1 }), lg, b), [
      r.sum / r.kept,
    ]);
  });

  it("without ignored labels, labelSmoothing alone averages over every row", async () => {
    const lab = [2, 0, 1, 3];
    const r = ceRef(logits, lab, 0.2);
    const b = hostTensor(lab, [4], "int32");
    expectAll(await run((a, c) => softmaxCrossEntropy(a, c, { labelSmoothing: 0.2 }), lg, b), [
      r.sum / 4,
    ]);
  });

  it("refuses labelSmoothing outside [0, 1]", () => {
    const x = constant([0, 0], [1, 2], "float32");
    const y = constant([0], [1], "int32");
    expect(() => softmaxCrossEntropy(x, y, { labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
  });

  it("gradients with smoothing and ignored rows match finite differences", async () => {
    await fc.assert(
      fc.asyncProperty(seedArb, async (seed) => {
        const next = rng(seed);
        const labs = [0, 1, 2, 3, 1].map((l) => (next() < 0.3 ? -100 : l));
        const reduction = next() < 0.5 ? "sum" : "mean";
        const f = ([x]: Tensor[]) =>
          softmaxCrossEntropy(x!, constant(labs, [5], "int32"), {
            labelSmoothing: 0.3,
            ignoreIndex: labs.every((l) => l === -100) ? 7 : -100,
            reduction,
          });
        await assertVjp(f, [randomTensor([5, 4], next, -3, 3)], { seed });
      }),
      { numRuns: 8 },
    );
  });
});
