import type { DType, HostTensor } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "../index";
import {
  add,
  compile,
  constant,
  flattenTree,
  grad,
  hostTensor,
  isHostTensor,
  mapTree,
  mul,
  optim,
  square,
  sub,
  sum,
} from "../index";
import { describe, expect, it } from "vitest";
import type { BackendUnderTest } from "@loom/testing";
import { ALL_BACKENDS, describeBackends } from "@loom/testing";

// Optimizers, schedules and regularisers compiled and run (the optimizer trajectories on every
// backend, the rest on the reference interpreter), compared step by step with plain-JS float64
// transcriptions of the algorithms that PyTorch documents (and implements) for
// torch.optim.SGD, RMSprop, Adam, AdamW and torch.nn.utils.clip_grad_norm_. A backend without
// float64 (WebGL) runs the trajectories in float32 to float32 precision (1e-5, as the float32
// Adam case does on every backend).

const TOL = 1e-12;
/** The float32 precision a trajectory keeps against the float64 reference. */
const TOL32 = 1e-5;

/** Plain params on the JS side: every leaf as an array of numbers, keyed by path. */
type Flat = Record<string, number[]>;

const specsOf = (t: Tree<HostTensor>): Tree<TensorSpec> =>
  mapTree(t, isHostTensor, (h) => ({ shape: h.shape, dtype: h.dtype }));
const flat = (t: Tree<HostTensor>): Flat =>
  Object.fromEntries(
    flattenTree(t, isHostTensor).map(({ path, leaf }) => [path, Array.from(leaf.data)]),
  );

const expectClose = (got: Flat, want: Flat, tol = TOL, what = ""): void => {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [k, ws] of Object.entries(want)) {
    ws.forEach((w, i) => {
      const g = got[k]![i]!;
      if (!(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)))) {
        expect.fail(`${what} ${k}[${i}]: got ${g}, want ${w} (diff ${g - w})`);
      }
    });
  }
};

// The problem: params { w: [2], b: [] }, loss
//   L = 1/2 sum(a (w - c)^2) + 1/2 ab (b - cb)^2 + k w0 b
// (the coupling term makes the trajectories of w and b depend on each other).
const A = [3, 5];
const C = [2, 1];
const AB = 2;
const CB = -0.5;
const K = 0.3;

const params0 = (dtype: DType = "float64") => ({
  w: hostTensor([0.5, -1.5], [2], dtype),
  b: hostTensor([0.3], [], dtype),
});

const loss = (p: Tree<Tensor>): Tensor => {
  const { w, b } = p as { w: Tensor; b: Tensor };
  const dt = w.dtype;
  const dw = sub(w, constant(C, [2], dt));
  const quad = mul(sum(mul(constant(A, [2], dt), square(dw))), 0.5);
  const w0 = sum(mul(w, constant([1, 0], [2], dt)));
  return add(add(quad, mul(square(sub(b, CB)), AB / 2)), mul(mul(w0, b), K));
};

const lossGrad = (p: Flat): Flat => ({
  w: [A[0]! * (p.w![0]! - C[0]!) + K * p.b![0]!, A[1]! * (p.w![1]! - C[1]!)],
  b: [AB * (p.b![0]! - CB) + K * p.w![0]!],
});

/** A JS optimizer: one update of `p` in place from the gradients, at step index t (0-based). */
type RefStep = (p: Flat, g: Flat, t: number) => void;

/** Compiles one training step (grad, update, apply) and runs it `steps` times, checking each. */
const runAgainst = async (
  on: BackendUnderTest,
  opt: optim.GradientTransformation,
  ref: RefStep,
  {
    steps = 5,
    dtype = (on.float64 ? "float64" : "float32") as DType,
    tol = on.float64 ? TOL : TOL32,
  } = {},
): Promise<void> => {
  const p0 = params0(dtype);
  const s0 = opt.init(p0);
  const step = compile(
    on.backend(),
    (ins) => {
      const { params, state } = ins as { params: Tree<Tensor>; state: Tree<Tensor> };
      const r = opt.update(grad(loss)(params), state, params);
      return { params: optim.applyUpdates(params, r.updates), state: r.state };
    },
    { params: specsOf(p0), state: specsOf(s0) },
  );
  let feeds: { params: Tree<HostTensor>; state: Tree<HostTensor> } = { params: p0, state: s0 };
  const want = flat(params0("float64"));
  for (let t = 0; t < steps; t++) {
    ref(want, lossGrad(want), t);
    feeds = (await step.run(feeds)) as typeof feeds;
    expectClose(flat(feeds.params), want, tol, `step ${t + 1}`);
  }
  const stepCount = (feeds as { state: { step?: HostTensor } }).state.step;
  if (stepCount !== undefined) expect(Array.from(stepCount.data)).toEqual([steps]);
};

// ---- plain-JS references, transcribed from the torch.optim docs / sources ----

type LrFn = (t: number) => number;
const lrOf = (lr: number | LrFn): LrFn => (typeof lr === "number" ? () => lr : lr);

const torchSgd = (lr: number | LrFn, mu = 0, nesterov = false, wd = 0): RefStep => {
  const bufs: Record<string, number[] | undefined> = {};
  return (p, g, t) => {
    for (const k of Object.keys(p)) {
      const d = g[k]!.map((gi, i) => gi + wd * p[k]![i]!);
      let dir = d;
      if (mu !== 0) {
        // torch: buf = clone(d) at the first step, then buf = mu * buf + (1 - dampening) * d.
        const buf = bufs[k] === undefined ? [...d] : bufs[k]!.map((b, i) => mu * b + d[i]!);
        bufs[k] = buf;
        dir = nesterov ? d.map((di, i) => di + mu * buf[i]!) : buf;
      }
      p[k] = p[k]!.map((x, i) => x - lrOf(lr)(t) * dir[i]!);
    }
  };
};

const torchRmsprop = (
  lr: number,
  alpha = 0.99,
  eps = 1e-8,
  mu = 0,
  wd = 0,
  centered = false,
): RefStep => {
  const sq: Flat = {};
  const gavg: Flat = {};
  const buf: Flat = {};
  return (p, g) => {
    for (const k of Object.keys(p)) {
      const n = p[k]!.length;
      sq[k] ??= new Array<number>(n).fill(0);
      gavg[k] ??= new Array<number>(n).fill(0);
      buf[k] ??= new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) {
        const gi = g[k]![i]! + wd * p[k]![i]!;
        sq[k]![i] = alpha * sq[k]![i]! + (1 - alpha) * gi * gi;
        let avg: number;
        if (centered) {
          gavg[k]![i] = alpha * gavg[k]![i]! + (1 - alpha) * gi;
          avg = Math.sqrt(sq[k]![i]! - gavg[k]![i]! * gavg[k]![i]!) + eps;
        } else avg = Math.sqrt(sq[k]![i]!) + eps;
        if (mu > 0) {
          buf[k]![i] = mu * buf[k]![i]! + gi / avg;
          p[k]![i] = p[k]![i]! - lr * buf[k]![i]!;
        } else p[k]![i] = p[k]![i]! - (lr * gi) / avg;
      }
    }
  };
};

/** torch's single-tensor Adam/AdamW: `denom = sqrt(v) / sqrt(bc2) + eps`, `p -= lr / bc1 * m / denom`. */
const torchAdam = (
  lr: number | LrFn,
  { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, wd = 0, decoupled = false, clip = Infinity } = {},
): RefStep => {
  const m: Flat = {};
  const v: Flat = {};
  return (p, g0, t) => {
    const g = clip === Infinity ? g0 : clipRef(g0, clip);
    const step = t + 1;
    const gamma = lrOf(lr)(t);
    const bc1 = 1 - beta1 ** step;
    const bc2 = 1 - beta2 ** step;
    for (const k of Object.keys(p)) {
      const n = p[k]!.length;
      m[k] ??= new Array<number>(n).fill(0);
      v[k] ??= new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) {
        let gi = g[k]![i]!;
        if (decoupled) p[k]![i] = p[k]![i]! * (1 - gamma * wd);
        else gi += wd * p[k]![i]!;
        m[k]![i] = m[k]![i]! + (gi - m[k]![i]!) * (1 - beta1);
        v[k]![i] = v[k]![i]! * beta2 + (1 - beta2) * gi * gi;
        const denom = Math.sqrt(v[k]![i]!) / Math.sqrt(bc2) + eps;
        p[k]![i] = p[k]![i]! - (gamma / bc1) * (m[k]![i]! / denom);
      }
    }
  };
};

/** torch.nn.utils.clip_grad_norm_: the norm of the per-tensor norms, coef clamped at 1. */
const clipRef = (g: Flat, maxNorm: number): Flat => {
  const norms = Object.values(g).map((xs) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0)));
  const total = Math.sqrt(norms.reduce((s, x) => s + x * x, 0));
  const coef = Math.min(maxNorm / (total + 1e-6), 1);
  return Object.fromEntries(Object.entries(g).map(([k, xs]) => [k, xs.map((x) => x * coef)]));
};

describe("optimizers against torch's algorithms (5 compiled steps, float64 where the backend has it)", () => {
  describeBackends(ALL_BACKENDS, (on) => {
    it("sgd", () => runAgainst(on, optim.sgd(0.05), torchSgd(0.05)));
    it("sgd with momentum", () =>
      runAgainst(on, optim.sgd(0.05, { momentum: 0.9 }), torchSgd(0.05, 0.9)));
    it("sgd with nesterov momentum", () =>
      runAgainst(
        on,
        optim.sgd(0.05, { momentum: 0.8, nesterov: true }),
        torchSgd(0.05, 0.8, true),
      ));
    it("sgd with weight decay and momentum", () =>
      runAgainst(
        on,
        optim.sgd(0.05, { momentum: 0.9, weightDecay: 0.1 }),
        torchSgd(0.05, 0.9, false, 0.1),
      ));
    it("sgd with an exponential-decay schedule", () =>
      runAgainst(
        on,
        optim.sgd(optim.exponentialDecay(0.1, 0.3)),
        torchSgd((t) => 0.1 * Math.exp(-0.3 * t)),
      ));

    it("rmsprop", () => runAgainst(on, optim.rmsprop(0.01), torchRmsprop(0.01)));
    it("rmsprop centered with momentum and weight decay", () =>
      runAgainst(
        on,
        optim.rmsprop(0.01, {
          alpha: 0.9,
          eps: 1e-3,
          momentum: 0.5,
          weightDecay: 0.05,
          centered: true,
        }),
        torchRmsprop(0.01, 0.9, 1e-3, 0.5, 0.05, true),
      ));

    it("adam", () => runAgainst(on, optim.adam(0.1), torchAdam(0.1)));
    it("adam with L2 weight decay and large eps", () =>
      runAgainst(
        on,
        optim.adam(0.1, { beta1: 0.8, beta2: 0.9, eps: 0.5, weightDecay: 0.2 }),
        torchAdam(0.1, { beta1: 0.8, beta2: 0.9, eps: 0.5, wd: 0.2 }),
      ));
    it("adam with a warmed-up cosine schedule", () =>
      runAgainst(
        on,
        optim.adam(optim.linearWarmup(optim.cosineDecay(0.1, 8, 0.01), 3)),
        torchAdam(
          (t) => (0.01 + 0.045 * (1 + Math.cos((Math.PI * t) / 8))) * Math.min(1, (t + 1) / 3),
        ),
      ));
    it("adamw (decoupled weight decay)", () =>
      runAgainst(
        on,
        optim.adamw(0.1, { weightDecay: 0.3 }),
        torchAdam(0.1, { wd: 0.3, decoupled: true }),
      ));
    it("adamw's default weight decay is torch's 0.01", () =>
      runAgainst(on, optim.adamw(0.1), torchAdam(0.1, { wd: 0.01, decoupled: true })));

    it("chain(clipByGlobalNorm, adam)", () =>
      runAgainst(
        on,
        optim.chain(optim.clipByGlobalNorm(2), optim.adam(0.1)),
        torchAdam(0.1, { clip: 2 }),
      ));
    it("chain(addDecayedWeights, scaleByLearningRate) decays only the masked leaves", () =>
      runAgainst(
        on,
        optim.chain(
          optim.addDecayedWeights(0.2, (path) => path === "w"),
          optim.scaleByLearningRate(0.05),
        ),
        (p, g) => {
          p.w = p.w!.map((x, i) => x - 0.05 * (g.w![i]! + 0.2 * x));
          p.b = p.b!.map((x, i) => x - 0.05 * g.b![i]!);
        },
      ));

    it("adam in float32 follows the float64 reference to float32 precision", () =>
      runAgainst(on, optim.adam(0.1), torchAdam(0.1), { dtype: "float32", tol: TOL32 }));
  });
});

describeBackends(["reference"], (on) => {
  describe("clipByGlobalNorm with fed gradients", () => {
    it("scales by min(1, maxNorm / (norm + 1e-6)) below and above the threshold", async () => {
      const maxNorm = 1.5;
      const opt = optim.chain(optim.clipByGlobalNorm(maxNorm), optim.scaleByLearningRate(0.1));
      const p0 = params0();
      const s0 = opt.init(p0);
      const f = compile(
        on.backend(),
        (ins) => {
          const { params, state, grads } = ins as {
            params: Tree<Tensor>;
            state: Tree<Tensor>;
            grads: Tree<Tensor>;
          };
          const r = opt.update(grads, state, params);
          return {
            params: optim.applyUpdates(params, r.updates),
            state: r.state,
            updates: r.updates,
          };
        },
        { params: specsOf(p0), state: specsOf(s0), grads: specsOf(p0) },
      );
      const gradSeq: Flat[] = [
        { w: [0.3, -0.4], b: [0] }, // norm 0.5: untouched
        { w: [3, -4], b: [12] }, // norm 13: scaled to 1.5
        { w: [1, 1], b: [-1] }, // norm sqrt 3 ~ 1.73: scaled
        { w: [0.9, 0], b: [1.2] }, // norm 1.5: coef just under 1
        { w: [-2, 0.1], b: [0.01] },
      ];
      let feeds = { params: p0 as Tree<HostTensor>, state: s0 };
      const want = flat(p0);
      for (const g of gradSeq) {
        const clipped = clipRef(g, maxNorm);
        const grads = { w: hostTensor(g.w!, [2], "float64"), b: hostTensor(g.b!, [], "float64") };
        const out = (await f.run({ ...feeds, grads })) as {
          params: Tree<HostTensor>;
          state: Tree<HostTensor>;
          updates: Tree<HostTensor>;
        };
        for (const k of Object.keys(want))
          want[k] = want[k]!.map((x, i) => x - 0.1 * clipped[k]![i]!);
        expectClose(flat(out.updates), {
          w: clipped.w!.map((x) => -0.1 * x),
          b: clipped.b!.map((x) => -0.1 * x),
        });
        expectClose(flat(out.params), want);
        feeds = { params: out.params, state: out.state };
      }
      expect(flattenTree(feeds.state, isHostTensor).map((p) => p.path)).toEqual(["1.step"]);
    });
  });

  describe("learning-rate schedules, compiled, against their closed forms", () => {
    const cases: [string, optim.Schedule, (t: number) => number][] = [
      ["constant", optim.constant(0.3), () => 0.3],
      ["exponentialDecay", optim.exponentialDecay(0.5, 0.15), (t) => 0.5 * Math.exp(-0.15 * t)],
      ["inverseTimeDecay", optim.inverseTimeDecay(0.5, 0.7), (t) => 0.5 / (1 + 0.7 * t)],
      ["stepDecay", optim.stepDecay(0.4, 0.5, 3), (t) => 0.4 * 0.5 ** Math.floor(t / 3)],
      [
        "cosineDecay",
        optim.cosineDecay(0.2, 12, 0.02),
        (t) => 0.02 + (0.18 * (1 + Math.cos((Math.PI * Math.min(t, 12)) / 12))) / 2,
      ],
      [
        "linearWarmup(constant)",
        optim.linearWarmup(optim.constant(0.1), 5),
        (t) => 0.1 * Math.min(1, (t + 1) / 5),
      ],
      [
        "linearWarmup(stepDecay)",
        optim.linearWarmup(optim.stepDecay(1, 0.1, 4), 4),
        (t) => 0.1 ** Math.floor(t / 4) * Math.min(1, (t + 1) / 4),
      ],
    ];
    it.each(cases)("%s for t = 0..20", async (_, schedule, closed) => {
      for (const dtype of ["float64", "float32"] as const) {
        const f = compile(on.backend(), (ins) => ({ lr: schedule((ins as { t: Tensor }).t) }), {
          t: { shape: [], dtype },
        });
        const got: number[] = [];
        for (let t = 0; t <= 20; t++) {
          const out = (await f.run({ t: hostTensor([t], [], dtype) })) as { lr: HostTensor };
          expect(out.lr.dtype).toBe(dtype);
          got.push(out.lr.data[0]!);
        }
        const want = got.map((_, t) => closed(t));
        expectClose({ lr: got }, { lr: want }, dtype === "float64" ? TOL : 1e-6, dtype);
      }
    });
  });

  describe("regularizers", () => {
    const params = {
      dense: {
        w: hostTensor([0.5, -2, 1.5], [3], "float64"),
        b: hostTensor([0.7, -0.1], [2], "float64"),
      },
      conv: { weight: hostTensor([-0.25, 3], [2], "float64") },
      bn: {
        gamma: hostTensor([1.1, 0.9], [2], "float64"),
        beta: hostTensor([0.2, -0.3], [2], "float64"),
      },
    };
    const weights = { "dense.w": [0.5, -2, 1.5], "conv.weight": [-0.25, 3] };
    const lambda = 0.3;

    const run = async (penalty: (p: Tree<Tensor>) => Tensor) => {
      const f = compile(
        on.backend(),
        (p) => ({ value: penalty(p), grad: grad(penalty)(p) }),
        specsOf(params),
      );
      const out = (await f.run(params)) as { value: HostTensor; grad: Tree<HostTensor> };
      return { value: out.value.data[0]!, grad: flat(out.grad) };
    };
    const expectedGrad = (f: (w: number) => number): Flat =>
      mapObject(flat(params), (path, xs) => (path in weights ? xs.map(f) : xs.map(() => 0)));

    it("l2Penalty = lambda/2 sum w^2 over weights, gradient lambda w on weights and 0 elsewhere", async () => {
      const { value, grad: g } = await run((p) => optim.l2Penalty(p, lambda));
      const all = Object.values(weights).flat();
      expect(value).toBeCloseTo((lambda / 2) * all.reduce((s, w) => s + w * w, 0), 13);
      expectClose(
        g,
        expectedGrad((w) => lambda * w),
      );
    });

    it("l1Penalty = lambda sum |w| over weights, gradient lambda sign(w) on weights and 0 elsewhere", async () => {
      const { value, grad: g } = await run((p) => optim.l1Penalty(p, lambda));
      const all = Object.values(weights).flat();
      expect(value).toBeCloseTo(lambda * all.reduce((s, w) => s + Math.abs(w), 0), 13);
      expectClose(
        g,
        expectedGrad((w) => lambda * Math.sign(w)),
      );
    });

    it("a custom filter chooses the leaves (allLeaves penalises biases too)", async () => {
      const { value, grad: g } = await run((p) => optim.l2Penalty(p, lambda, optim.allLeaves));
      const all = Object.values(flat(params)).flat();
      expect(value).toBeCloseTo((lambda / 2) * all.reduce((s, w) => s + w * w, 0), 13);
      expectClose(
        g,
        mapObject(flat(params), (_, xs) => xs.map((w) => lambda * w)),
      );
    });
  });
});

const mapObject = (o: Flat, f: (k: string, v: number[]) => number[]): Flat =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(k, v)]));
