import { describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import type { Tensor } from "../index";
import { compile, hostTensor, optim } from "../index";

// Before: exponentialDecay took only a continuous rate k (eta0 * exp(-k t)), inverseTimeDecay
// only k, and stepDecay only positional (gamma, every): PyTorch's ExponentialLR(gamma),
// StepLR(step_size, gamma) and Keras' InverseTimeDecay(decay_rate, decay_steps) did not port
// literally.

const cpu = cpuBackend();
const STEPS = [0, 1, 2, 3, 7, 10];

const rates = async (s: optim.Schedule): Promise<number[]> => {
  const exe = compile(cpu, ({ t }: { t: Tensor }) => ({ lr: s(t) }), {
    t: { shape: [], dtype: "float64" },
  });
  const out: number[] = [];
  for (const t of STEPS)
    out.push(
      ((await exe.run({ t: hostTensor([t], [], "float64") })) as { lr: HostTensor }).lr.data[0]!,
    );
  return out;
};

const expectRates = async (s: optim.Schedule, f: (t: number) => number) => {
  const got = await rates(s);
  got.forEach((g, i) =>
    expect(Math.abs(g - f(STEPS[i]!))).toBeLessThanOrEqual(1e-15 * Math.max(1, f(STEPS[i]!))),
  );
};

describe("schedules in PyTorch's and Keras' parametrisations", () => {
  it("exponentialDecay: { gamma } is ExponentialLR, lr0 * gamma^t", async () => {
    await expectRates(optim.exponentialDecay(0.5, { gamma: 0.9 }), (t) => 0.5 * 0.9 ** t);
  });
  it("exponentialDecay: { decayRate, decaySteps } is Keras' ExponentialDecay", async () => {
    await expectRates(
      optim.exponentialDecay(0.5, { decayRate: 0.96, decaySteps: 4 }),
      (t) => 0.5 * 0.96 ** (t / 4),
    );
  });
  it("exponentialDecay: a number or { rate } is eta0 * exp(-k t), and gamma = exp(-k) agrees", async () => {
    await expectRates(optim.exponentialDecay(2, 0.25), (t) => 2 * Math.exp(-0.25 * t));
    await expectRates(optim.exponentialDecay(2, { rate: 0.25 }), (t) => 2 * Math.exp(-0.25 * t));
    const viaGamma = await rates(optim.exponentialDecay(2, { gamma: Math.exp(-0.25) }));
    viaGamma.forEach((g, i) => expect(g).toBeCloseTo(2 * Math.exp(-0.25 * STEPS[i]!), 12));
  });
  it("stepDecay: { stepSize, gamma } is StepLR (gamma defaults to 0.1 as torch's)", async () => {
    await expectRates(
      optim.stepDecay(1, { stepSize: 3, gamma: 0.5 }),
      (t) => 0.5 ** Math.floor(t / 3),
    );
    await expectRates(optim.stepDecay(1, { stepSize: 3 }), (t) => 0.1 ** Math.floor(t / 3));
  });
  it("inverseTimeDecay: { decayRate, decaySteps } is Keras' InverseTimeDecay", async () => {
    await expectRates(
      optim.inverseTimeDecay(0.1, { decayRate: 0.5, decaySteps: 2 }),
      (t) => 0.1 / (1 + (0.5 * t) / 2),
    );
  });
  it("refuses two parametrisations at once and unknown keys", () => {
    expect(() => optim.exponentialDecay(1, { gamma: 0.9, rate: 0.1 })).toThrow(/exactly one of/);
    expect(() => optim.exponentialDecay(1, {})).toThrow(/exactly one of/);
    expect(() => optim.exponentialDecay(1, { gamma: 0.9, decaySteps: 3 })).toThrow(
      /decaySteps goes with decayRate/,
    );
    expect(() => optim.stepDecay(1, { step_size: 3 } as never)).toThrow(LoomError);
    expect(() => optim.inverseTimeDecay(1, { decay_rate: 1 } as never)).toThrow(
      /unknown option "decay_rate"/,
    );
  });
});
