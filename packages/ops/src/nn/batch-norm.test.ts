import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Tensor } from "../index";
import { compile, hostTensor, nn } from "../index";
import { rng } from "@loom/testing";

// Before: batchNorm took only [N, F] and [N, C, H, W]; [N, C, L] (BatchNorm1d on sequences)
// was refused, and unknown option keys were ignored.

const cpu = cpuBackend();

/** torch.nn.BatchNorm1d/2d in plain float64 JS: output and running stats after one training step. */
const torchBatchNorm = (
  x: number[],
  shape: number[],
  gamma: number[],
  beta: number[],
  run: { mean: number[]; var: number[] },
  momentum: number,
  eps: number,
) => {
  const [n, c] = shape as [number, number];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const at = (i: number, ch: number, j: number) => (i * c + ch) * inner + j;
  const y = new Array<number>(x.length);
  const mean: number[] = [];
  const vari: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const vals: number[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < inner; j++) vals.push(x[at(i, ch, j)]!);
    const m = vals.reduce((s, v) => s + v, 0) / vals.length;
    const v = vals.reduce((s, u) => s + (u - m) ** 2, 0) / vals.length;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < inner; j++)
        y[at(i, ch, j)] = ((x[at(i, ch, j)]! - m) / Math.sqrt(v + eps)) * gamma[ch]! + beta[ch]!;
    mean.push((1 - momentum) * run.mean[ch]! + momentum * m);
    vari.push((1 - momentum) * run.var[ch]! + (momentum * v * vals.length) / (vals.length - 1));
  }
  return { y, mean, var: vari };
};

describe("nn.batchNorm over [N, C], [N, C, L] and [N, C, H, W]", () => {
  it.each([[[5, 3]], [[4, 3, 6]], [[2, 3, 4, 5]]])(
    "shape %j, training and inference",
    async (shape) => {
      const c = shape[1]!;
      const next = rng(shape.length);
      const size = shape.reduce((a, b) => a * b, 1);
      const x = Array.from({ length: size }, () => next() * 4 - 1);
      const gamma = [1.5, -0.5, 2].slice(0, c);
      const beta = [0.25, 1, -2].slice(0, c);
      const run0 = { mean: [0.1, -0.2, 0.3], var: [1, 2, 0.5] };
      const layer = nn.batchNorm({ momentum: 0.2, eps: 1e-3 });
      const step = (training: boolean) =>
        compile(
          cpu,
          ({
            p,
            s,
            x: v,
          }: {
            p: { gamma: Tensor; beta: Tensor };
            s: { mean: Tensor; var: Tensor };
            x: Tensor;
          }) => {
            const r = layer.apply(p, s, v, { training });
            return { y: r.y, s: r.state };
          },
          {
            p: { gamma: { shape: [c], dtype: "float64" }, beta: { shape: [c], dtype: "float64" } },
            s: { mean: { shape: [c], dtype: "float64" }, var: { shape: [c], dtype: "float64" } },
            x: { shape, dtype: "float64" },
          },
        );
      const feeds = {
        p: { gamma: hostTensor(gamma, [c], "float64"), beta: hostTensor(beta, [c], "float64") },
        s: {
          mean: hostTensor(run0.mean, [c], "float64"),
          var: hostTensor(run0.var, [c], "float64"),
        },
        x: hostTensor(x, shape, "float64"),
      };
      const want = torchBatchNorm(x, shape, gamma, beta, run0, 0.2, 1e-3);
      const got = (await step(true).run(feeds as never)) as {
        y: HostTensor;
        s: { mean: HostTensor; var: HostTensor };
      };
      const close = (a: ArrayLike<number>, b: number[]) =>
        b.forEach((v, i) =>
          expect(Math.abs(a[i]! - v), `${i}: ${a[i]} vs ${v}`).toBeLessThan(1e-12),
        );
      close(got.y.data, want.y);
      close(got.s.mean.data, want.mean);
      close(got.s.var.data, want.var);
      // Inference normalises with the running statistics.
      const inf = (await step(false).run(feeds as never)) as { y: HostTensor };
      const inner = size / (shape[0]! * c);
      close(
        inf.y.data,
        x.map((v, i) => {
          const ch = Math.floor(i / inner) % c;
          return ((v - run0.mean[ch]!) / Math.sqrt(run0.var[ch]! + 1e-3)) * gamma[ch]! + beta[ch]!;
        }),
      );
    },
  );

  it("refuses rank 1 and rank 5 inputs and unknown options", () => {
    const layer = nn.batchNorm();
    expect(() => layer.init(undefined as never, { shape: [3] })).toThrow(/\[N,C\], \[N,C,L\]/);
    expect(() => layer.init(undefined as never, { shape: [1, 2, 3, 4, 5] })).toThrow(LoomError);
    expect(() => nn.batchNorm({ momentum: 0.1, epsilon: 1e-5 } as never)).toThrow(
      /unknown option "epsilon"/,
    );
  });
});
