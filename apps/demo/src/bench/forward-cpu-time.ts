/**
 * loom against onnxruntime-node on the forward cases in CPU time as well as wall time:
 * `pnpm exec tsx apps/demo/src/bench/forward-cpu-time.ts [case...]`. On a machine shared with
 * other work, a run longer than a scheduler slice waits for the CPU more than a short one,
 * so wall-time ratios of a 2 ms run against a 0.3 ms one grow with the load; the process's CPU
 * time per run (every thread, onnxruntime's and loom's pool included) does not.
 */
import * as ort from "onnxruntime-node";
import { cpuBackend } from "@loom/backend-cpu";
import { exportLayer } from "@loom/onnx";
import type { Tensor } from "@loom/ops";
import { compile, hostTensor, specsOf } from "@loom/ops";
import { dataOf, forwardModel, makeCaseData, selectCases } from "./cases";
import { median } from "./stats";

/** Median wall and CPU milliseconds of one run. */
interface Times {
  readonly wall: number;
  readonly cpu: number;
}

const measure = async (run: () => Promise<unknown>, runs: number): Promise<Times> => {
  for (let i = 0; i < 5; i++) await run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
};

const names = process.argv.slice(2);
for (const name of names.length > 0
  ? names
  : ["mlp-forward", "lenet-forward", "resnet18-forward"]) {
  const c = selectCases(name)[0];
  if (c === undefined || c.spec.kind !== "forward") throw new Error(`no forward case ${name}`);
  const s = c.spec;
  const d = dataOf(await makeCaseData(c), "forward");
  const layer = forwardModel(s);
  const shape = [s.batch, ...s.input];
  const runs = s.model === "resnet18" ? 8 : 40;
  const times: [string, Times][] = [];
  for (const [impl, threads] of [
    ["loom-cpu", undefined],
    ["loom-cpu-1t", 1],
  ] as const) {
    const backend = cpuBackend(threads === undefined ? {} : { threads });
    const f = compile(
      backend,
      (io) => ({ y: layer.apply(io.params, io.state, io.x as Tensor, { training: false }).y }),
      { params: specsOf(d.vars.params), state: specsOf(d.vars.state), x: { shape } },
    );
    const feeds = { params: d.vars.params, state: d.vars.state, x: hostTensor(d.x, shape) };
    times.push([impl, await measure(() => f.run(feeds as never), runs)]);
    backend.dispose();
  }
  const session = await ort.InferenceSession.create(
    exportLayer(layer, d.vars, s.input, { batch: s.batch }),
  );
  const x = new ort.Tensor("float32", d.x, shape);
  const peer = await measure(() => session.run({ x }), runs);
  await session.release();
  for (const [impl, t] of times)
    console.log(
      `${name} ${impl}: wall ${t.wall.toFixed(2)} ms, cpu ${t.cpu.toFixed(2)} ms | onnxruntime-node wall ${peer.wall.toFixed(2)} ms, cpu ${peer.cpu.toFixed(2)} ms | ratio wall ${(t.wall / peer.wall).toFixed(1)}x, cpu ${(t.cpu / peer.cpu).toFixed(1)}x`,
    );
}
