/**
 * The same kind of model in a web page: WebGL2 where the browser has it, the CPU backend
 * otherwise. Bundled by Vite in the pack test (built, not run: no browser there).
 */
import * as loom from "@loom/loom";

const pickBackend = (): loom.Backend => {
  try {
    return loom.webglBackend();
  } catch {
    return loom.cpuBackend();
  }
};

const model = loom.nn.sequential({
  fc1: loom.nn.dense(16),
  act: loom.nn.relu(),
  fc2: loom.nn.dense(3),
});
const backend = pickBackend();
const vars = await loom.initModel(backend, model, 7, { shape: [1, 8] });
const forward = loom.compile(
  backend,
  ({ params, state, x }) => model.apply(params, state, x, { training: false }).y,
  { params: loom.specsOf(vars.params), state: loom.specsOf(vars.state), x: { shape: [1, 8] } },
);
const out = (await forward.run({
  params: vars.params,
  state: vars.state,
  x: loom.hostTensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 8]),
})) as loom.HostTensor;
document.body.textContent = `${backend.name}: ${Array.from(out.data).join(", ")}`;
