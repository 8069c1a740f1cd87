/**
 * What a user of the installed packages writes first: a small classifier trained a few steps
 * on the CPU backend, saved and loaded back, then a matmul big enough for the kernels' worker
 * threads, and MNIST from the main entry of @loom/models. Exits non-zero (an uncaught error)
 * if the loss does not fall, the checkpoint differs, the threads never started, or two threads
 * give a different product than one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as loom from "@loom/loom";
import type { HostTensor, Tensor, Tree } from "@loom/loom";
import { loadMnist } from "@loom/models";
import { loadCheckpoint, saveCheckpoint } from "@loom/models/node";

const N = 64;
const FEATURES = 8;
const CLASSES = 3;

// A learnable toy task: the label is the arg-max of the first three features.
const xs = Array.from({ length: N * FEATURES }, (_, i) => Math.sin(i * 12.9898) * 0.5);
const ys = Array.from({ length: N }, (_, r) => {
  const row = xs.slice(r * FEATURES, r * FEATURES + CLASSES);
  return row.indexOf(Math.max(...row));
});
const x = loom.hostTensor(xs, [N, FEATURES]);
const y = loom.hostTensor(ys, [N], "int32");

const model = loom.nn.sequential({
  fc1: loom.nn.dense(16),
  act: loom.nn.relu(),
  fc2: loom.nn.dense(CLASSES),
});
const optimizer = loom.optim.adam(0.05);

// Worker threads the CPU backend starts, counted where it gets them (Node's getBuiltinModule).
let workersStarted = 0;
const wt = process.getBuiltinModule("node:worker_threads");
const NodeWorker = wt.Worker;
wt.Worker = class extends NodeWorker {
  constructor(...args: ConstructorParameters<typeof NodeWorker>) {
    super(...args);
    workersStarted++;
  }
};

const backend = loom.cpuBackend();
const vars = await loom.initModel(backend, model, 7, { shape: [N, FEATURES] });
// Declared as untyped trees: the steps' outputs replace initModel's (typed) variables.
let state: loom.ModelVars & { optState: Tree<HostTensor> } = {
  params: vars.params,
  state: vars.state,
  optState: optimizer.init(vars.params),
};
const step = loom.compile(backend, loom.trainStep({ model, optimizer }), {
  params: loom.specsOf(state.params),
  state: loom.specsOf(state.state),
  optState: loom.specsOf(state.optState),
  x: { shape: [N, FEATURES] },
  y: { shape: [N], dtype: "int32" },
  key: { shape: [2], dtype: "int32" },
  step: { shape: [], dtype: "int32" },
});

const losses: number[] = [];
for (let i = 0; i < 20; i++) {
  const out = await step.run({
    ...state,
    x,
    y,
    key: loom.key(1),
    step: loom.hostTensor([i], [], "int32"),
  });
  const h = out as unknown as {
    params: Tree<HostTensor>;
    state: Tree<HostTensor>;
    optState: Tree<HostTensor>;
    loss: HostTensor;
  };
  state = { params: h.params, state: h.state, optState: h.optState };
  losses.push(h.loss.data[0]!);
}
const first = losses[0]!;
const last = losses[losses.length - 1]!;
if (!(last < first * 0.8)) throw new Error(`loss did not fall: ${losses.join(", ")}`);
console.log(`loss ${first.toFixed(4)} -> ${last.toFixed(4)} in ${losses.length} steps`);

const dir = mkdtempSync(join(tmpdir(), "loom-consumer-"));
const file = join(dir, "tiny.safetensors");
await saveCheckpoint(file, { params: state.params, state: state.state, step: losses.length });
const loaded = await loadCheckpoint(file);
rmSync(dir, { recursive: true, force: true });
const leaves = (t: Tree<HostTensor>) =>
  JSON.stringify(t, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v));
if (loaded.step !== losses.length || leaves(loaded.params) !== leaves(state.params))
  throw new Error("the checkpoint read back differs from the one saved");
console.log("checkpoint saved and loaded back");

const mnist = loadMnist();
console.log(`mnist: ${mnist.train.count} training and ${mnist.test.count} test digits`);

// 384^3 = 57 MFLOP, above the CPU backend's threading threshold (8 MFLOP).
const SIZE = 384;
const mm = (a: Tensor, b: Tensor) => loom.matmul(a, b);
const specs = { a: { shape: [SIZE, SIZE] }, b: { shape: [SIZE, SIZE] } };
const values = (seed: number) =>
  loom.hostTensor(
    Array.from({ length: SIZE * SIZE }, (_, i) => Math.cos(i * seed) * 0.1),
    [SIZE, SIZE],
  );
const feeds = { a: values(1.3), b: values(2.9) };
// The JavaScript kernels split a matmul over worker threads (the WebAssembly kernels, the
// default where SIMD validates, run on one thread so far): the worker file must ship.
const threaded = loom.cpuBackend({ threads: 2, wasm: false });
const single = loom.cpuBackend({ threads: 1, wasm: false });
const many = (await loom.compile(threaded, ({ a, b }) => mm(a, b), specs).run(feeds)) as HostTensor;
const one = (await loom.compile(single, ({ a, b }) => mm(a, b), specs).run(feeds)) as HostTensor;
if (loom.threadsAvailable() && loom.defaultThreads() > 1 && workersStarted === 0)
  throw new Error("the CPU backend started no worker thread for a 384^3 matmul");
if (!many.data.every((v, i) => Object.is(v, one.data[i])))
  throw new Error("matmul on two threads differs from one thread");
console.log(`matmul ${SIZE}^3: ${workersStarted} worker threads, results bit-identical`);
// The default backend's WebAssembly GEMM (assembled at build time, bundled) agrees in float32.
const wasm = (await loom
  .compile(loom.cpuBackend(), ({ a, b }) => mm(a, b), specs)
  .run(feeds)) as HostTensor;
if (!wasm.data.every((v, i) => Math.abs(v - one.data[i]!) <= 1e-5 * (1 + Math.abs(one.data[i]!))))
  throw new Error("the default (WebAssembly) matmul differs from the JavaScript kernels");
console.log(`matmul ${SIZE}^3: the default kernels agree with the JavaScript ones`);
for (const b of [backend, threaded, single]) b.dispose();
