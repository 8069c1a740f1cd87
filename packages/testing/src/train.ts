import type { Backend, HostTensor } from "@loom/graph";
import type { nn, optim, TensorSpec, Tree } from "@loom/ops";
import { compile, flattenTree, hostTensor, isHostTensor, key } from "@loom/ops";
import type { ModelVars } from "@loom/models";
import { specsOf, trainStep } from "@loom/models";
import { mismatch, randomFloat32 } from "./compare";
import { rng } from "./rng";

/** What a compiled training step returns. */
export interface StepOut {
  readonly params: Tree<HostTensor>;
  readonly state: Tree<HostTensor>;
  readonly optState: Tree<HostTensor>;
  readonly loss: HostTensor;
  readonly correct: HostTensor;
}

/** A model's training step (softmax cross-entropy, `optimizer`) compiled for a backend. */
export const compileStep = (
  backend: Backend,
  model: nn.Layer,
  optimizer: optim.GradientTransformation,
  specs: Tree<TensorSpec>,
) => {
  const f = compile(backend, trainStep({ model, optimizer }) as never, specs);
  return { run: (feeds: never) => f.run(feeds) as unknown as Promise<StepOut> };
};

/**
 * Runs `steps` training steps on one batch from `vars` and returns the loss of each and the
 * mean time of a step after the first (which compiles).
 */
export const measure = async (
  backend: Backend,
  model: nn.Layer,
  optimizer: optim.GradientTransformation,
  vars: ModelVars,
  data: { x: HostTensor; y: HostTensor },
  steps: number,
): Promise<{ losses: number[]; ms: number }> => {
  let state = { params: vars.params, state: vars.state, optState: optimizer.init(vars.params) };
  const feeds = (i: number) => ({
    ...state,
    ...data,
    key: key(9),
    step: hostTensor([i], [], "int32"),
  });
  const step = compileStep(backend, model, optimizer, specsOf(feeds(0) as never));
  const losses: number[] = [];
  let t0 = 0;
  for (let i = 0; i < steps; i++) {
    if (i === 1) t0 = performance.now();
    const out = await step.run(feeds(i) as never);
    losses.push(out.loss.data[0]!);
    state = { params: out.params, state: out.state, optState: out.optState };
  }
  return { losses, ms: (performance.now() - t0) / Math.max(1, steps - 1) };
};

/** A random batch of MNIST-shaped images (`[size, 1, 28, 28]`) and class labels, from `seed`. */
export const randomBatch = (seed: number, size: number): { x: HostTensor; y: HostTensor } => {
  const r = rng(seed);
  return {
    x: randomFloat32([size, 1, 28, 28], seed),
    y: hostTensor(
      Array.from({ length: size }, () => Math.floor(r() * 10)),
      [size],
      "int32",
    ),
  };
};

const leavesByPath = (t: Tree<HostTensor>) =>
  Object.fromEntries(flattenTree(t, isHostTensor).map(({ path, leaf }) => [path, leaf]));

/** The first leaf of `got` that differs from `want` beyond `rtol` (as `path: why`), or undefined. */
export const treeMismatch = (
  got: Tree<HostTensor>,
  want: Tree<HostTensor>,
  rtol: number,
): string | undefined => {
  const g = leavesByPath(got);
  for (const [path, w] of Object.entries(leavesByPath(want))) {
    const m = g[path] === undefined ? "missing" : mismatch(g[path]!, w, { rtol });
    if (m !== undefined) return `${path}: ${m}`;
  }
  return undefined;
};
