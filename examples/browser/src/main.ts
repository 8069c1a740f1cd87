/**
 * A model trained and used in a web page: WebGL2 where the browser has it (with float render
 * targets), the CPU backend otherwise (or with `?backend=cpu`). The task: is a point inside
 * the circle of radius 0.6? `?epochs=N` sets the training length (default 30).
 */
import * as loom from "@loom/loom";

const params = new URLSearchParams(location.search);
const epochs = Number(params.get("epochs") ?? 30);

// #region backend
/** WebGL2 if this browser can run it, else the CPU backend (which runs everywhere). */
const pickBackend = (): loom.Backend => {
  if (params.get("backend") !== "cpu") {
    try {
      return loom.webglBackend();
    } catch (e) {
      console.warn(`WebGL2 unavailable, using the CPU backend: ${(e as Error).message}`);
    }
  }
  return loom.cpuBackend();
};
// #endregion backend

// 256 points in [-1, 1]^2 on a grid; class 1 inside the circle.
const side = 16;
const points = Float32Array.from({ length: side * side * 2 }, (_, i) => {
  const j = i >> 1;
  return ((i & 1 ? j % side : Math.floor(j / side)) / (side - 1)) * 2 - 1;
});
const labels = Int32Array.from({ length: side * side }, (_, j) =>
  Math.hypot(points[2 * j]!, points[2 * j + 1]!) < 0.6 ? 1 : 0,
);
const train: loom.Dataset = { images: points, labels, count: side * side, shape: [2] };

const model = loom.nn.sequential({
  fc1: loom.nn.dense(16),
  act: loom.nn.tanh(),
  fc2: loom.nn.dense(2),
});

const show = (text: string, attrs: Record<string, string> = {}) => {
  const el = document.querySelector<HTMLElement>("#result")!;
  el.textContent = text;
  Object.assign(el.dataset, attrs);
};

const main = async () => {
  const backend = pickBackend();
  document.querySelector("#status")!.textContent = `training on ${backend.name}…`;
  const start = await loom.initModel(backend, model, 3, { shape: [64, 2] });
  const { state, history } = await loom.fit({
    backend,
    model,
    optimizer: loom.optim.adam(0.05),
    train,
    epochs,
    batchSize: 64,
    seed: 3,
    start,
  });
  const metrics = await loom.evaluate(backend, { model }, state, train);
  const run = loom.predict(model, state.params, state.state, { backend });
  const logits = await run(loom.hostTensor([0, 0, 0.9, 0.9], [2, 2]));
  // The softmax of two logits: P(inside) = sigmoid(logit1 - logit0).
  const inside = (i: number) => 1 / (1 + Math.exp(logits.data[2 * i]! - logits.data[2 * i + 1]!));
  const first = history[0]!.train.loss;
  const last = history.at(-1)!.train.loss;
  document.querySelector("#status")!.textContent = `trained on ${backend.name}`;
  show(
    [
      `backend ${backend.name}, ${history.length} epochs: loss ${first.toFixed(3)} -> ${last.toFixed(3)}`,
      `accuracy ${(metrics.accuracy * 100).toFixed(1)}% on the ${train.count} training points`,
      `P(inside) at (0, 0): ${inside(0).toFixed(3)}, at (0.9, 0.9): ${inside(1).toFixed(3)}`,
    ].join("\n"),
    {
      backend: backend.name,
      accuracy: String(metrics.accuracy),
      centre: String(inside(0)),
      corner: String(inside(1)),
      done: "true",
    },
  );
  run.dispose();
  backend.dispose();
};

main().catch((e: unknown) => {
  document.querySelector("#status")!.textContent = "failed";
  show(String(e), { error: "true" });
});
