import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Backend, DType, HostTensor } from "@loom/graph";
import { cpuBackend, referenceBackend } from "@loom/backend-cpu";
import type { Tensor } from "../index";
import {
  binaryCrossEntropyWithLogits,
  compile,
  grad,
  hostTensor,
  logSigmoid,
  mul,
  nn,
  sigmoid,
  softplus,
  sum,
  tanh,
} from "../index";
import { assertVjp, randomTensor, rng, seedArb, shapeArb } from "@loom/testing";

// Before this file's fixes sigmoid was `1/(1+exp(-x))` as a composite: its gradient at
// x = -1e3 (f64) or -100 (f32) was NaN (0 * inf in exp's VJP), and BCE-with-logits had
// gradient -t instead of 0.5 - t at x = 0 (both kinks, of max and |x|, gave 0).

/** Float64 references with PyTorch's documented formulas. */
const ref = {
  sigmoid: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  softplus: (x: number, beta = 1, threshold = 20) =>
    beta * x > threshold
      ? x
      : (Math.max(beta * x, 0) + Math.log1p(Math.exp(-Math.abs(beta * x)))) / beta,
  logSigmoid: (x: number) => Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x))),
  tanh: Math.tanh,
};
/** Their derivatives (PyTorch's backward formulas; sigmoid's and tanh's are written from the output). */
const dref = {
  sigmoid: (x: number) => ref.sigmoid(x) * (1 - ref.sigmoid(x)),
  softplus: (x: number, beta = 1, threshold = 20) =>
    beta * x > threshold ? 1 : ref.sigmoid(beta * x),
  logSigmoid: (x: number) => ref.sigmoid(-x),
  tanh: (x: number) => 1 - Math.tanh(x) ** 2,
};

const EXTREMES = [-1e30, -1e3, -100, -30, -1, 0, 1, 30, 100, 1e3, 1e30];
const BACKENDS: readonly [string, () => Backend][] = [
  ["cpu", cpuBackend],
  ["reference", referenceBackend],
];

/** Values and gradients of `f` (summed) at `xs`. */
const valueAndGradAt = async (
  backend: Backend,
  f: (x: Tensor) => Tensor,
  xs: readonly number[],
  dtype: DType,
): Promise<{ y: HostTensor; g: HostTensor }> => {
  const spec = { x: { shape: [xs.length], dtype } };
  const exe = compile(
    backend,
    ({ x }: { x: Tensor }) => ({ y: f(x), g: grad((v: Tensor) => sum(f(v)))(x) }),
    spec,
  );
  return (await exe.run({ x: hostTensor([...xs], [xs.length], dtype) })) as {
    y: HostTensor;
    g: HostTensor;
  };
};

/** `got` equals `want` to `rtol` relative (absolute below the smallest normal of the dtype). */
const expectClose = (got: number, want: number, rtol: number, what: string) => {
  const tiny = 1e-30;
  const ok = Number.isFinite(got) && Math.abs(got - want) <= rtol * Math.abs(want) + tiny;
  expect(ok, `${what}: got ${got}, want ${want}`).toBe(true);
};

const round = (v: number, dtype: DType) => (dtype === "float32" ? Math.fround(v) : v);

describe("stable activations at extreme inputs (values and gradients against PyTorch's formulas)", () => {
  const cases: readonly [
    string,
    (x: Tensor) => Tensor,
    (x: number) => number,
    (x: number) => number,
  ][] = [
    ["sigmoid", sigmoid, ref.sigmoid, dref.sigmoid],
    ["tanh", tanh, ref.tanh, dref.tanh],
    ["softplus", (x) => softplus(x), (x) => ref.softplus(x), (x) => dref.softplus(x)],
    [
      "softplus beta 2 threshold 10",
      (x) => softplus(x, { beta: 2, threshold: 10 }),
      (x) => ref.softplus(x, 2, 10),
      (x) => dref.softplus(x, 2, 10),
    ],
    ["logSigmoid", logSigmoid, ref.logSigmoid, dref.logSigmoid],
  ];
  for (const [bname, backend] of BACKENDS) {
    for (const dtype of ["float32", "float64"] as const) {
      it.each(cases)(`%s on ${bname} in ${dtype}`, async (what, f, value, deriv) => {
        const xs = EXTREMES.map((v) => round(v, dtype));
        // PyTorch's sigmoid backward is y * (1 - y) of the stored (rounded) output y.
        const fromOut = (y: number) => round(y, dtype) * (1 - round(y, dtype));
        const d = what === "sigmoid" ? (x: number) => fromOut(ref.sigmoid(x)) : deriv;
        const { y, g } = await valueAndGradAt(backend(), f, xs, dtype);
        // f32 results are computed in f32 by PyTorch: compare to the rounded f64 reference.
        const rtol = dtype === "float32" ? 2e-7 : 1e-14;
        xs.forEach((x, i) => {
          expectClose(y.data[i]!, round(value(x), dtype), rtol, `${what}(${x})`);
          expectClose(
            g.data[i]!,
            round(d(x), dtype),
            dtype === "float32" ? 1e-6 : 1e-13,
            `${what}'(${x})`,
          );
        });
      });
    }
  }

  it("softplus is x itself with gradient exactly 1 above the threshold", async () => {
    const { y, g } = await valueAndGradAt(
      cpuBackend(),
      (x) => softplus(x, { beta: 0.5 }),
      [40.5, 41, 1e30],
      "float64",
    );
    expect([...y.data]).toEqual([40.5, 41, 1e30]);
    expect([...g.data]).toEqual([1, 1, 1]);
  });

  it("binaryCrossEntropyWithLogits has gradient (sigmoid(x) - t) / n, finite at +-1e30 and 0.5 - t at 0", async () => {
    for (const dtype of ["float32", "float64"] as const) {
      const xs = [-1e30, -1e3, 0, 0, 1e3, 1e30];
      const ts = [1, 0.25, 0, 1, 0.5, 0];
      const exe = compile(
        cpuBackend(),
        ({ x, t }: { x: Tensor; t: Tensor }) => ({
          y: binaryCrossEntropyWithLogits(x, t, { reduction: "none" }),
          g: grad((v: Tensor) => binaryCrossEntropyWithLogits(v, t, { reduction: "sum" }))(x),
        }),
        { x: { shape: [6], dtype }, t: { shape: [6], dtype } },
      );
      const r = (await exe.run({
        x: hostTensor(xs, [6], dtype),
        t: hostTensor(ts, [6], dtype),
      })) as { y: HostTensor; g: HostTensor };
      xs.forEach((x, i) => {
        const want = Math.max(x, 0) - x * ts[i]! + Math.log1p(Math.exp(-Math.abs(x)));
        expectClose(r.y.data[i]!, round(want, dtype), 1e-7, `bce(${x}, ${ts[i]})`);
        expectClose(r.g.data[i]!, ref.sigmoid(x) - ts[i]!, 1e-7, `bce'(${x}, ${ts[i]})`);
      });
    }
  });

  it("nn.softplus applies softplus and refuses unknown options", async () => {
    const layer = nn.softplus({ beta: 2 });
    const exe = compile(
      cpuBackend(),
      ({ x }: { x: Tensor }) => ({ y: layer.apply({}, {}, x, { training: false }).y }),
      {
        x: { shape: [3], dtype: "float64" },
      },
    );
    const { y } = (await exe.run({ x: hostTensor([-1, 0, 20], [3], "float64") })) as {
      y: HostTensor;
    };
    [-1, 0, 20].forEach((x, i) =>
      expectClose(y.data[i]!, ref.softplus(x, 2), 1e-15, `softplus(${x})`),
    );
    expect(() => nn.softplus({ betta: 2 } as never)).toThrow(/unknown option "betta"/);
  });
});

describe("gradients of the stable activations against finite differences", () => {
  const fs: readonly [string, (x: Tensor) => Tensor][] = [
    ["sigmoid", sigmoid],
    ["softplus", (x) => softplus(x)],
    ["softplus beta 3", (x) => softplus(x, { beta: 3 })],
    ["logSigmoid", logSigmoid],
    [
      "sigmoid twice (second-order through the output rule)",
      (x) => grad((v: Tensor) => sum(mul(sigmoid(v), sigmoid(v))))(x),
    ],
  ];
  it.each(fs)("%s", async (what, f) => {
    await fc.assert(
      fc.asyncProperty(shapeArb(0, 3, 4), seedArb, async (shape, seed) => {
        await assertVjp(([x]) => f(x!), [randomTensor(shape, rng(seed), -6, 6)], { seed, what });
      }),
      { numRuns: 8 },
    );
  });
});
