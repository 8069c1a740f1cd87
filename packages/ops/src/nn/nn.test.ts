import { describe, expect, it } from "vitest";
import type { DType, HostTensor, Shape } from "@loom/graph";
import type { Tensor, TensorSpec, Tree } from "../index";
import { compile, flattenTree, hostTensor, isHostTensor, key, nn } from "../index";
import { cpuBackend } from "@loom/backend-cpu";
import { rng, expectWithin5Sigma, moments } from "@loom/testing";

// Execution tests of packages/ops/src/nn (ops' own tests may not run graphs).

const cpu = cpuBackend();
const KEY_SPEC = { shape: [2], dtype: "int32" } as const satisfies TensorSpec;

const specsOf = (t: Tree<HostTensor>): Tree<TensorSpec> => {
  if (isHostTensor(t)) return { shape: t.shape, dtype: t.dtype };
  return Object.fromEntries(
    Object.entries(t as Record<string, Tree<HostTensor>>).map(([k, v]) => [k, specsOf(v)]),
  );
};

/** Compiles `fn` over the feeds' specs on the CPU backend and runs it once. */
const run = async <O extends Tree<Tensor>>(
  fn: (io: Record<string, Tree<Tensor>>) => O,
  feeds: Record<string, Tree<HostTensor>>,
): Promise<Record<string, Tree<HostTensor>>> => {
  const f = compile(cpu, fn as never, specsOf(feeds) as never);
  return (await f.run(feeds as never)) as Record<string, Tree<HostTensor>>;
};

const randomValues = (n: number, seed: number, scale = 2): number[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => (r() * 2 - 1) * scale);
};

const list = (t: Tree<HostTensor> | undefined): number[] => Array.from((t as HostTensor).data);

const expectAllClose = (got: readonly number[], want: readonly number[], tol = 1e-5) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    if (!(Math.abs(g - want[i]!) <= tol * (1 + Math.abs(want[i]!))))
      expect.fail(`element ${i}: got ${g}, want ${want[i]} (tol ${tol})`);
  });
};

// ---------- plain-JS references ----------

/** y[n, o] = sum_i x[n, i] w[o, i] + b[o]. */
const denseRef = (x: number[], w: number[], b: number[] | undefined, n: number, inp: number) => {
  const out = w.length / inp;
  const y: number[] = [];
  for (let r = 0; r < n; r++)
    for (let o = 0; o < out; o++) {
      let s = b?.[o] ?? 0;
      for (let i = 0; i < inp; i++) s += x[r * inp + i]! * w[o * inp + i]!;
      y.push(s);
    }
  return y;
};

/** NCHW x OIHW cross-correlation with stride and symmetric zero padding, as PyTorch. */
const convRef = (
  x: number[],
  [n, c, h, wd]: number[],
  w: number[],
  [o, , kh, kw]: number[],
  b: number[],
  stride: number,
  pad: number,
) => {
  const ho = Math.floor((h! + 2 * pad - kh!) / stride) + 1;
  const wo = Math.floor((wd! + 2 * pad - kw!) / stride) + 1;
  const y: number[] = [];
  for (let ni = 0; ni < n!; ni++)
    for (let oi = 0; oi < o!; oi++)
      for (let yi = 0; yi < ho; yi++)
        for (let xi = 0; xi < wo; xi++) {
          let s = b[oi]!;
          for (let ci = 0; ci < c!; ci++)
            for (let a = 0; a < kh!; a++)
              for (let e = 0; e < kw!; e++) {
                const r = yi * stride - pad + a;
                const q = xi * stride - pad + e;
                if (r < 0 || r >= h! || q < 0 || q >= wd!) continue;
                s +=
                  x[((ni * c! + ci) * h! + r) * wd! + q]! *
                  w[((oi * c! + ci) * kh! + a) * kw! + e]!;
              }
          y.push(s);
        }
  return { y, shape: [n, o, ho, wo] };
};

// ---------- initializers ----------

describe("initializers", () => {
  const sample = async (init: nn.Initializer, shape: Shape, dtype: DType = "float32") => {
    const fans = nn.fansOf(shape as number[]);
    const out = await run(({ k }) => ({ w: init(k as Tensor, shape, fans, dtype) }), {
      k: key(31),
    });
    const w = out["w"] as HostTensor;
    expect(w.shape).toEqual(shape);
    expect(w.dtype).toBe(dtype);
    return w.data;
  };

  it("fansOf follows torch.nn.init: [out, in] and [O, I, KH, KW]", () => {
    expect(nn.fansOf([300, 500])).toEqual({ fanIn: 500, fanOut: 300 });
    expect(nn.fansOf([64, 16, 3, 5])).toEqual({ fanIn: 16 * 15, fanOut: 64 * 15 });
    expect(nn.fansOf([7])).toEqual({ fanIn: 1, fanOut: 7 });
  });

  // [256, 400] (dense: fanIn 400, fanOut 256) and [128, 32, 5, 5] (conv: 800 and 3200), ~100k values.
  const DENSE: Shape = [256, 400];
  const CONV: Shape = [128, 32, 5, 5];
  const cases: [
    string,
    nn.Initializer,
    "uniform" | "normal",
    (fanIn: number, fanOut: number) => number,
  ][] = [
    ["xavierUniform", nn.xavierUniform, "uniform", (i, o) => 2 / (i + o)],
    ["xavierNormal", nn.xavierNormal, "normal", (i, o) => 2 / (i + o)],
    ["heNormal", nn.heNormal, "normal", (i) => 2 / i],
    ["heUniform", nn.heUniform, "uniform", (i) => 2 / i],
    ["lecunNormal", nn.lecunNormal, "normal", (i) => 1 / i],
    ["lecunUniform", nn.lecunUniform, "uniform", (i) => 1 / i],
    ["torchDefault", nn.torchDefault, "uniform", (i) => 1 / (3 * i)],
  ];

  describe.each(cases)("%s", (_name, init, family, wantVar) => {
    it.each([
      ["dense", DENSE],
      ["conv", CONV],
    ] as const)("has mean 0 and the documented variance on a %s weight", async (_k, shape) => {
      const xs = await sample(init, shape);
      const { fanIn, fanOut } = nn.fansOf(shape as number[]);
      const v = wantVar(fanIn, fanOut);
      const n = xs.length;
      const m = moments(xs);
      expectWithin5Sigma(m.mean, 0, Math.sqrt(v / n), "mean");
      if (family === "uniform") {
        // U(-a, a): Var = a^2/3 and Var((X - 0)^2) = a^4/5 - a^4/9 = 4 a^4 / 45 = 0.8 Var^2.
        expectWithin5Sigma(m.variance, v, v * Math.sqrt(0.8 / n), "variance");
        const limit = Math.sqrt(3 * v);
        const max = Array.from(xs).reduce((a, x) => Math.max(a, Math.abs(x)), 0);
        expect(max).toBeLessThanOrEqual(limit * (1 + 1e-6));
        expect(max).toBeGreaterThan(limit * 0.999);
      } else {
        expectWithin5Sigma(m.variance, v, v * Math.sqrt(2 / n), "variance");
      }
    });
  });

  it("work in float64", async () => {
    const xs = await sample(nn.heNormal, [100, 1000], "float64");
    expect(xs).toBeInstanceOf(Float64Array);
    expectWithin5Sigma(moments(xs).variance, 2 / 1000, (2 / 1000) * Math.sqrt(2 / 1e5), "variance");
  });

  it("zeros and constantInit are exact", async () => {
    const out = await run(
      ({ k }) => ({
        z: nn.zeros(k as Tensor, [3, 4], { fanIn: 4, fanOut: 3 }, "float32"),
        c: nn.constantInit(0.1)(k as Tensor, [5], { fanIn: 1, fanOut: 5 }, "float64"),
      }),
      { k: key(0) },
    );
    expect(list(out["z"])).toEqual(new Array(12).fill(0));
    expect(list(out["c"])).toEqual(new Array(5).fill(0.1));
    expect((out["c"] as HostTensor).dtype).toBe("float64");
  });

  it("dense and conv layers default to PyTorch's U(+-1/sqrt(fanIn)) for weights and bias", async () => {
    const layers = { fc: nn.dense(300), conv: nn.conv2d(64, 3) };
    const out = await run(
      ({ k }) => ({
        fc: layers.fc.init(k as Tensor, { shape: ["N", 500] }).params,
        conv: layers.conv.init(k as Tensor, { shape: ["N", 12, 9, 9] }).params,
      }),
      { k: key(4) },
    );
    const check = (t: Tree<HostTensor> | undefined, fanIn: number) => {
      const xs = (t as HostTensor).data;
      const limit = 1 / Math.sqrt(fanIn);
      const max = Array.from(xs).reduce((a, x) => Math.max(a, Math.abs(x)), 0);
      expect(max).toBeLessThanOrEqual(limit);
      expect(max).toBeGreaterThan(limit * 0.9);
    };
    const fc = out["fc"] as Record<string, HostTensor>;
    const conv = out["conv"] as Record<string, HostTensor>;
    expect(fc["w"]!.shape).toEqual([300, 500]);
    expect(conv["w"]!.shape).toEqual([64, 12, 3, 3]);
    check(fc["w"], 500);
    check(fc["b"], 500);
    check(conv["w"], 12 * 9);
    check(conv["b"], 12 * 9);
    // The weight and the bias come from different keys.
    expect(list(fc["b"]).slice(0, 5)).not.toEqual(list(fc["w"]).slice(0, 5));
  });
});

// ---------- layers ----------

describe("dense", () => {
  it("computes x W^T + b against a plain-JS reference", async () => {
    const x = randomValues(5 * 7, 1);
    const w = randomValues(3 * 7, 2);
    const b = randomValues(3, 3);
    const layer = nn.dense(3);
    const out = await run(
      ({ x: xs, p }) => ({
        y: layer.apply(p as nn.DenseParams, {}, xs as Tensor, { training: false }).y,
      }),
      {
        x: hostTensor(x, [5, 7]),
        p: { w: hostTensor(w, [3, 7]), b: hostTensor(b, [3]) },
      },
    );
    expect((out["y"] as HostTensor).shape).toEqual([5, 3]);
    expectAllClose(list(out["y"]), denseRef(x, w, b, 5, 7));
  });

  it("maps the last axis of a rank-3 input, and has no bias with bias: false", async () => {
    const x = randomValues(2 * 4 * 6, 4);
    const w = randomValues(5 * 6, 5);
    const layer = nn.dense(5, { bias: false });
    const out = await run(
      ({ x: xs, k }) => {
        const init = layer.init(k as Tensor, { shape: [2, 4, 6] });
        return {
          names: init.params,
          y: layer.apply(
            { w: (xs as Record<string, Tensor>)["w"]! },
            {},
            (xs as Record<string, Tensor>)["x"]!,
            {
              training: false,
            },
          ).y,
        };
      },
      { x: { x: hostTensor(x, [2, 4, 6]), w: hostTensor(w, [5, 6]) }, k: key(1) },
    );
    expect(Object.keys(out["names"] as object)).toEqual(["w"]);
    expect((out["y"] as HostTensor).shape).toEqual([2, 4, 5]);
    expectAllClose(list(out["y"]), denseRef(x, w, undefined, 8, 6));
  });
});

describe("conv2d layer", () => {
  it("matches a plain-JS convolution with stride, padding and a per-filter bias", async () => {
    const xShape = [2, 3, 7, 6];
    const wShape = [4, 3, 3, 2];
    const x = randomValues(2 * 3 * 7 * 6, 6);
    const w = randomValues(4 * 3 * 3 * 2, 7);
    const b = randomValues(4, 8);
    const layer = nn.conv2d(4, [3, 2], { stride: 2, padding: 1 });
    const out = await run(
      ({ x: xs, p, k }) => ({
        y: layer.apply(p as nn.ConvParams, {}, xs as Tensor, { training: false }).y,
        init: layer.init(k as Tensor, { shape: xShape }).params,
      }),
      {
        x: hostTensor(x, xShape),
        p: { w: hostTensor(w, wShape), b: hostTensor(b, [4]) },
        k: key(2),
      },
    );
    const want = convRef(x, xShape, w, wShape, b, 2, 1);
    expect((out["y"] as HostTensor).shape).toEqual(want.shape);
    expectAllClose(list(out["y"]), want.y);
    const init = out["init"] as Record<string, HostTensor>;
    expect(init["w"]!.shape).toEqual(wShape);
    expect(init["b"]!.shape).toEqual([4]);
  });
});

describe("batchNorm", () => {
  const EPS = 1e-5;
  const layer = nn.batchNorm();
  const step = (training: boolean) =>
    compile(
      cpu,
      ({ p, s, x }: Record<string, Tree<Tensor>>) => {
        const r = layer.apply(p as nn.BatchNormParams, s as nn.BatchNormState, x as Tensor, {
          training,
        });
        return { y: r.y, s: r.state };
      },
      {
        p: { gamma: { shape: [2] }, beta: { shape: [2] } },
        s: { mean: { shape: [2] }, var: { shape: [2] } },
        x: { shape: [4, 2] },
      },
    );
  const gamma = [2, -1];
  const beta = [0.5, 3];
  const params = { gamma: hostTensor(gamma, [2]), beta: hostTensor(beta, [2]) };
  // Two columns (features) of four rows each.
  const x1 = [1, 10, 3, 10, 5, 14, 7, 6];
  const x2 = [0, 1, 2, 1, 2, 5, 4, 1];

  it("init gives gamma 1, beta 0, running mean 0 and var 1", async () => {
    const out = await run(({ k }) => layer.init(k as Tensor, { shape: ["N", 3, 5, 5] }), {
      k: key(0),
    });
    expect(out).toEqual({
      params: { gamma: hostTensor([1, 1, 1], [3]), beta: hostTensor([0, 0, 0], [3]) },
      state: { mean: hostTensor([0, 0, 0], [3]), var: hostTensor([1, 1, 1], [3]) },
    });
  });

  it("normalises per feature in training and updates the running stats as PyTorch (hand-computed)", async () => {
    const f = step(true);
    const s0 = { mean: hostTensor([0, 0], [2]), var: hostTensor([1, 1], [2]) };
    const r1 = (await f.run({ p: params, s: s0, x: hostTensor(x1, [4, 2]) } as never)) as {
      y: HostTensor;
      s: { mean: HostTensor; var: HostTensor };
    };
    // Before gamma and beta, each column has mean 0 and (biased) variance 1.
    for (let c = 0; c < 2; c++) {
      const z = [0, 1, 2, 3].map((r) => (r1.y.data[r * 2 + c]! - beta[c]!) / gamma[c]!);
      const m = moments(z);
      expect(Math.abs(m.mean)).toBeLessThan(1e-4);
      expect(Math.abs(m.variance - 1)).toBeLessThan(1e-4);
    }
    // Column 0 is 1,3,5,7: mean 4, biased var 5; column 1 is 10,10,14,6: mean 10, biased var 8.
    expectAllClose(
      list(r1.y),
      [
        [-3 / Math.sqrt(5 + EPS), 0],
        [-1 / Math.sqrt(5 + EPS), 0],
        [1 / Math.sqrt(5 + EPS), 4 / Math.sqrt(8 + EPS)],
        [3 / Math.sqrt(5 + EPS), -4 / Math.sqrt(8 + EPS)],
      ].flatMap(([a, b]) => [a! * 2 + 0.5, b! * -1 + 3]),
    );
    // running = 0.9 running + 0.1 batch, with the unbiased variance (20/3 and 32/3).
    expectAllClose(list(r1.s.mean), [0.4, 1.0], 1e-6);
    expectAllClose(list(r1.s.var), [0.9 + 0.1 * (20 / 3), 0.9 + 0.1 * (32 / 3)], 1e-6);
    // Step 2: columns 0,2,2,4 (mean 2, unbiased var 8/3) and 1,1,5,1 (mean 2, unbiased var 4).
    const r2 = (await f.run({
      p: params,
      s: r1.s,
      x: hostTensor(x2, [4, 2]),
    } as never)) as typeof r1;
    expectAllClose(list(r2.s.mean), [0.56, 1.1], 1e-6);
    expectAllClose(list(r2.s.var), [1.6766667, 2.17], 1e-6);
  });

  it("uses the running statistics at inference", async () => {
    const f = step(false);
    const s = { mean: hostTensor([0.56, 1.1], [2]), var: hostTensor([1.6766667, 2.17], [2]) };
    const out = (await f.run({ p: params, s, x: hostTensor(x2, [4, 2]) } as never)) as {
      y: HostTensor;
      s: { mean: HostTensor; var: HostTensor };
    };
    const m = [0.56, 1.1];
    const v = [1.6766667, 2.17];
    expectAllClose(
      list(out.y),
      x2.map(
        (xv, i) => ((xv - m[i % 2]!) / Math.sqrt(v[i % 2]! + EPS)) * gamma[i % 2]! + beta[i % 2]!,
      ),
    );
    // Inference leaves the state alone.
    expect(list(out.s.mean)).toEqual(m.map(Math.fround));
    expect(list(out.s.var)).toEqual(v.map(Math.fround));
  });

  it("normalises NCHW per channel over N, H and W, with Bessel's n = N*H*W", async () => {
    const shape = [3, 2, 2, 3];
    const x = randomValues(36, 9, 5).map((v, i) => v + (Math.floor(i / 6) % 2) * 10);
    const out = await run(
      ({ x: xs, s }) => {
        const r = layer.apply(
          {
            gamma: (s as Record<string, Tensor>)["one"]!,
            beta: (s as Record<string, Tensor>)["zero"]!,
          },
          {
            mean: (s as Record<string, Tensor>)["zero"]!,
            var: (s as Record<string, Tensor>)["one"]!,
          },
          xs as Tensor,
          { training: true },
        );
        return { y: r.y, s: r.state };
      },
      {
        x: hostTensor(x, shape),
        s: { one: hostTensor([1, 1], [2]), zero: hostTensor([0, 0], [2]) },
      },
    );
    const y = list(out["y"]);
    const st = out["s"] as { mean: HostTensor; var: HostTensor };
    for (let c = 0; c < 2; c++) {
      const idx = [...Array(36).keys()].filter((i) => Math.floor(i / 6) % 2 === c);
      const m = moments(idx.map((i) => y[i]!));
      expect(Math.abs(m.mean)).toBeLessThan(1e-4);
      expect(Math.abs(m.variance - 1)).toBeLessThan(1e-4);
      const xm = moments(idx.map((i) => x[i]!));
      expect(st.mean.data[c]).toBeCloseTo(0.1 * xm.mean, 5);
      expect(st.var.data[c]).toBeCloseTo(0.9 + 0.1 * xm.variance * (18 / 17), 5);
    }
  });
});

describe("dropout", () => {
  const RATE = 0.25;
  const ROWS = 4000;
  const xRow = [0.5, -1, 2, 3, -4, 1.5, 0.25, 8];
  const layer = nn.dropout(RATE);
  const f = compile(
    cpu,
    ({ x, k }: Record<string, Tree<Tensor>>) => ({
      train: layer.apply({}, {}, x as Tensor, { training: true, key: k as Tensor }).y,
      infer: layer.apply({}, {}, x as Tensor, { training: false }).y,
    }),
    { x: { shape: [ROWS, 8] }, k: KEY_SPEC },
  );
  const x = hostTensor(Array.from({ length: ROWS }, () => xRow).flat(), [ROWS, 8]);
  const runWith = async (seed: number) =>
    (await f.run({ x, k: key(seed) } as never)) as { train: HostTensor; infer: HostTensor };

  it("keeps the expectation, zeroes a fraction `rate` and scales the rest by 1/(1-rate)", async () => {
    const { train } = await runWith(1);
    let zeros = 0;
    for (let j = 0; j < 8; j++) {
      let s = 0;
      for (let r = 0; r < ROWS; r++) {
        const v = train.data[r * 8 + j]!;
        if (v === 0) zeros++;
        else expect(v).toBeCloseTo(xRow[j]! / (1 - RATE), 5);
        s += v;
      }
      // y = x B / (1 - p) with B ~ Bernoulli(1 - p): Var(y) = x^2 p / (1 - p).
      const se = Math.abs(xRow[j]!) * Math.sqrt(RATE / (1 - RATE) / ROWS);
      expectWithin5Sigma(s / ROWS, xRow[j]!, se, `mean of column ${j}`);
    }
    const n = ROWS * 8;
    expectWithin5Sigma(zeros / n, RATE, Math.sqrt((RATE * (1 - RATE)) / n), "fraction of zeros");
  });

  it("gives the same mask for the same key and another for another key", async () => {
    const a = await runWith(1);
    const b = await runWith(1);
    const c = await runWith(2);
    expect(list(b.train)).toEqual(list(a.train));
    const differ = list(c.train).filter((v, i) => v !== a.train.data[i]).length;
    expect(differ).toBeGreaterThan(ROWS);
  });

  it("is the identity at inference", async () => {
    const { infer } = await runWith(3);
    expect(list(infer)).toEqual(list(x));
  });
});

describe("sequential, residual and tap", () => {
  it("sequential composes its children, each with its own key", async () => {
    const model = nn.sequential({ fc1: nn.dense(4), act1: nn.relu(), fc2: nn.dense(4) });
    const xv = randomValues(3 * 4, 12);
    const out = await run(
      ({ k, x }) => {
        const v = model.init(k as Tensor, { shape: [3, 4] });
        return {
          params: v.params,
          y: model.apply(v.params, v.state, x as Tensor, { training: false }).y,
        };
      },
      { k: key(8), x: hostTensor(xv, [3, 4]) },
    );
    const p = out["params"] as Record<string, Record<string, HostTensor>>;
    expect(flattenTree(p, isHostTensor).map((e) => e.path)).toEqual([
      "fc1.w",
      "fc1.b",
      "fc2.w",
      "fc2.b",
    ]);
    // Same shapes, different keys: different values.
    expect(list(p["fc2"]!["w"])).not.toEqual(list(p["fc1"]!["w"]));
    const h = denseRef(xv, list(p["fc1"]!["w"]), list(p["fc1"]!["b"]), 3, 4).map((v) =>
      Math.max(v, 0),
    );
    expectAllClose(list(out["y"]), denseRef(h, list(p["fc2"]!["w"]), list(p["fc2"]!["b"]), 3, 4));
  });

  it("residual adds the identity shortcut, or a projection, before `post`", async () => {
    const xv = randomValues(2 * 3, 13);
    const w = randomValues(9, 14);
    const b = randomValues(3, 15);
    const ws = randomValues(9, 16);
    const plain = nn.residual(nn.dense(3));
    const projected = nn.residual(nn.dense(3), nn.dense(3, { bias: false }), nn.relu());
    const out = await run(
      ({ x, p }) => {
        const q = p as Record<string, Tensor>;
        const block = { w: q["w"]!, b: q["b"]! };
        return {
          plain: plain.apply({ block }, { block: {} }, x as Tensor, { training: false }).y,
          projected: projected.apply(
            { block, shortcut: { w: q["ws"]! }, post: {} },
            { block: {}, shortcut: {}, post: {} },
            x as Tensor,
            { training: false },
          ).y,
        };
      },
      {
        x: hostTensor(xv, [2, 3]),
        p: { w: hostTensor(w, [3, 3]), b: hostTensor(b, [3]), ws: hostTensor(ws, [3, 3]) },
      },
    );
    const blockY = denseRef(xv, w, b, 2, 3);
    expectAllClose(
      list(out["plain"]),
      blockY.map((v, i) => v + xv[i]!),
    );
    const sc = denseRef(xv, ws, undefined, 2, 3);
    expectAllClose(
      list(out["projected"]),
      blockY.map((v, i) => Math.max(v + sc[i]!, 0)),
    );
  });

  it("residual initialises block, shortcut and post from different keys", async () => {
    const layer = nn.residual(nn.dense(3), nn.dense(3), nn.dense(3));
    const out = await run(({ k }) => layer.init(k as Tensor, { shape: [2, 3] }), { k: key(5) });
    const p = out["params"] as Record<string, Record<string, HostTensor>>;
    expect(Object.keys(p)).toEqual(["block", "shortcut", "post"]);
    const ws = ["block", "shortcut", "post"].map((n) => list(p[n]!["w"]).join(","));
    expect(new Set(ws).size).toBe(3);
  });

  it("ctx.tap sees every named activation, nested names joined by dots", async () => {
    const model = nn.sequential({
      fc1: nn.dense(3),
      act1: nn.relu(),
      block: nn.sequential({ fc: nn.dense(2), out: nn.tanh() }),
    });
    const xv = randomValues(2 * 5, 17);
    const seen: string[] = [];
    const out = await run(
      ({ k, x }) => {
        const v = model.init(k as Tensor, { shape: [2, 5] });
        const taps: Record<string, Tensor> = {};
        const r = model.apply(v.params, v.state, x as Tensor, {
          training: false,
          tap: (name, a) => {
            seen.push(name);
            taps[name] = a;
          },
        });
        return { y: r.y, params: v.params, taps };
      },
      { k: key(3), x: hostTensor(xv, [2, 5]) },
    );
    expect(seen).toEqual(["fc1", "act1", "block.fc", "block.out", "block"]);
    const p = out["params"] as Record<string, Record<string, Record<string, HostTensor>>>;
    const taps = out["taps"] as Record<string, HostTensor>;
    const fc1 = denseRef(xv, list(p["fc1"]!["w"] as never), list(p["fc1"]!["b"] as never), 2, 5);
    expectAllClose(list(taps["fc1"]), fc1);
    const act1 = fc1.map((v) => Math.max(v, 0));
    expectAllClose(list(taps["act1"]), act1);
    const fc = denseRef(act1, list(p["block"]!["fc"]!["w"]), list(p["block"]!["fc"]!["b"]), 2, 3);
    expectAllClose(list(taps["block.fc"]), fc);
    expectAllClose(list(taps["block.out"]), fc.map(Math.tanh));
    expect(list(taps["block"])).toEqual(list(out["y"]));
  });
});
