import { describe, expect, it } from "vitest";
import type { Graph, HostTensor } from "@loom/graph";
import {
  inferShapes,
  numel,
  orThrow,
  planPass,
  simplify,
  topoOrder,
  tryLoom,
  validateGraph,
} from "@loom/graph";
import { referenceBackend } from "@loom/backend-cpu";
import type { Tensor, TensorSpec, Tree, nn } from "@loom/ops";
import {
  compile,
  exp,
  flattenTree,
  hostTensor,
  isHostTensor,
  isSpec,
  key,
  mapTree,
  neg,
  optim,
  primitives,
  referenceStages,
  trace,
} from "@loom/ops";
import { lenet5, mlp, specsOf, trainStep, varSpecs } from "@loom/models";

// One training step of the zoo's models, compiled with and without simplify, both run by the
// reference interpreter: the pass must not change a single result (only -0 may become +0).

const BATCH = 8;

/** Deterministic pseudo-random numbers in [0, 1) (an LCG), so the test needs no dataset. */
const lcg = (seed: number) => {
  let s = seed;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
};

/** Host values for a tree of specs: small random numbers, so no init graph has to run. */
const randomVars = (specs: Tree<TensorSpec>, next: () => number): Tree<HostTensor> =>
  mapTree(specs, isSpec, (sp) => {
    const n = numel(sp.shape as number[]);
    return hostTensor(
      Array.from({ length: n }, () => (next() - 0.5) * 0.2),
      sp.shape,
    );
  });

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length &&
  Array.from(a).every((v, i) => v === b[i] || (Number.isNaN(v) && Number.isNaN(b[i]!)));

/** Runs one step with and without simplify; returns both outputs and the node counts. */
const oneStep = async (model: nn.Layer) => {
  const backend = referenceBackend();
  const next = lcg(12345);
  const shapes = varSpecs(model, { shape: [BATCH, 1, 28, 28] });
  const vars = { params: randomVars(shapes.params, next), state: randomVars(shapes.state, next) };
  const optimizer = optim.adam(1e-3);
  const opt = optimizer.init(vars.params);
  const specs = {
    params: specsOf(vars.params),
    state: specsOf(vars.state),
    optState: specsOf(opt),
    x: { shape: [BATCH, 1, 28, 28] },
    y: { shape: [BATCH], dtype: "int32" as const },
    key: { shape: [2], dtype: "int32" as const },
    step: { shape: [], dtype: "int32" as const },
  };
  const x = hostTensor(Array.from({ length: BATCH * 784 }, next), [BATCH, 1, 28, 28]);
  const y = hostTensor(
    Array.from({ length: BATCH }, () => Math.floor(next() * 10)),
    [BATCH],
    "int32",
  );
  const feeds = {
    params: vars.params,
    state: vars.state,
    optState: opt,
    x,
    y,
    key: key(3),
    step: hostTensor([0], [], "int32"),
  } as never;
  const stages: Record<string, Graph> = {};
  const fn = trainStep({ model, optimizer });
  const plain = compile(backend, fn, specs as never);
  const simp = compile(backend, fn, specs as never, {
    stages: [simplify(primitives), ...referenceStages()],
    sink: { stage: (st) => void (st.kind === "graph" && (stages[st.name] = st.graph)) },
  });
  const a = (await plain.run(feeds)) as unknown as Tree<HostTensor>;
  const b = (await simp.run(feeds)) as unknown as Tree<HostTensor>;
  return {
    a: flattenTree(a, isHostTensor),
    b: flattenTree(b, isHostTensor),
    traced: count(plain.traced.graph),
    simplified: count(stages["simplify"]!),
  };
};

const count = (g: Graph): number => topoOrder(g).length;

/** The training step's graph for one batch: traced, specialised, and simplified. */
const stepGraphs = (model: nn.Layer) => {
  const optimizer = optim.adam(1e-3);
  const shapes = varSpecs(model, { shape: [BATCH, 1, 28, 28] });
  const next = lcg(1);
  const opt = optimizer.init(randomVars(shapes.params, next));
  const { graph } = trace(
    trainStep({ model, optimizer }) as never,
    {
      ...shapes,
      optState: specsOf(opt),
      x: { shape: [BATCH, 1, 28, 28] },
      y: { shape: [BATCH], dtype: "int32" },
      key: { shape: [2], dtype: "int32" },
      step: { shape: [], dtype: "int32" },
    } as never,
  );
  const specialised = orThrow(inferShapes(primitives, {}).run(graph));
  return { traced: graph, simplified: orThrow(simplify(primitives).run(specialised)) };
};

describe("simplify on training steps", () => {
  it.each([
    ["mlp", () => mlp()],
    ["mlp+bn+dropout", () => mlp({ batchNorm: true, dropout: 0.25 })],
    ["lenet", () => lenet5()],
    ["lenet+bn+dropout", () => lenet5({ batchNorm: true, dropout: 0.25 })],
  ])("%s: the step graph shrinks and stays valid", (name, make) => {
    const { traced, simplified } = stepGraphs(make());
    expect(() => orThrow(validateGraph(primitives, simplified))).not.toThrow();
    expect(Object.keys(simplified.inputs)).toEqual(Object.keys(traced.inputs));
    expect(Object.keys(simplified.outputs)).toEqual(Object.keys(traced.outputs));
    expect(count(simplified)).toBeLessThan(count(traced));
    console.info(`${name} training step: ${count(traced)} traced nodes -> ${count(simplified)}`);
  });

  // Narrow hidden layers keep the reference interpreter fast; the graph's structure is the same.
  it.each([
    ["mlp", () => mlp({ hidden: [32, 16] })],
    ["mlp+bn+dropout", () => mlp({ hidden: [32, 16], batchNorm: true, dropout: 0.25 })],
    ["lenet", () => lenet5()],
  ])("%s: one step gives the same results with and without simplify", async (_name, make) => {
    const r = await oneStep(make());
    expect(r.b.map((l) => l.path)).toEqual(r.a.map((l) => l.path));
    r.a.forEach(({ path, leaf }, i) => {
      const other = r.b[i]!.leaf;
      expect(other.shape, path).toEqual(leaf.shape);
      expect(sameBits(leaf.data, other.data), path).toBe(true);
    });
    expect(r.a.find((l) => l.path === "loss")!.leaf.data[0]).toBeGreaterThan(0);
    expect(r.simplified).toBeLessThan(r.traced);
  });
});

describe("the pipeline in tests", () => {
  it("validates every stage's output (the vitest setup turns `validate` on)", async () => {
    // A plan pass that reverses the kernels: the second kernel now reads before it is written.
    const reverse = planPass("reverse", (p) =>
      tryLoom(() => ({ plan: { ...p, kernels: [...p.kernels].reverse() } })),
    );
    const f = compile(
      referenceBackend(),
      ({ x }: { x: Tensor }) => ({ y: exp(neg(x)) }),
      { x: { shape: [2] } },
      { stages: [...referenceStages(), reverse] },
    );
    await expect(f.run({ x: hostTensor([1, 2], [2]) } as never)).rejects.toThrow(
      /validatePlan: kernel 0 reads buffer \d before kernel 1 writes it/,
    );
  });
});
