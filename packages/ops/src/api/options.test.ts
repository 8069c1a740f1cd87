import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import { referenceBackend } from "@loom/backend-cpu";
import type { Tensor } from "../index";
import {
  adaptiveAvgPool2d,
  augment,
  avgPool2d,
  binaryCrossEntropyWithLogits,
  compile,
  conv2d,
  input,
  l1Loss,
  maxPool2d,
  mse,
  nn,
  optim,
  predict,
  softmaxCrossEntropy,
  softplus,
  sum,
  valueAndGrad,
  vjp,
} from "../index";

// Before: every options object was read with destructuring, so a misspelt or unsupported key
// (`maxPool2d(x, { kernel: 2, ceilmode: true })`, `adam(1e-3, { beta_1: 0.8 })`) was ignored
// silently. Now each public function that takes options refuses an unknown key with a
// LoomError (code "invalid_option") naming it and listing the valid ones.

const x = input("x", [2, 3, 6, 6]);
const w = input("w", [4, 3, 3, 3]);
const v = input("v", [2, 3]);
const labels = input("labels", [2], "int32");
const rgbPca = {
  eigvals: [0.2, 0.1, 0.05],
  eigvecs: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
};

/** A public function taking options, a full set of valid options, and which of them are required. */
interface Case {
  readonly name: string;
  readonly call: (opts: Record<string, unknown>) => unknown;
  readonly valid: Record<string, unknown>;
  readonly required?: readonly string[];
}

const CASES: readonly Case[] = [
  { name: "softplus", call: (o) => softplus(v, o), valid: { beta: 2, threshold: 10 } },
  { name: "mse", call: (o) => mse(v, v, o), valid: { reduction: "sum" } },
  { name: "l1Loss", call: (o) => l1Loss(v, v, o), valid: { reduction: "none" } },
  {
    name: "binaryCrossEntropyWithLogits",
    call: (o) => binaryCrossEntropyWithLogits(v, v, o),
    valid: { reduction: "mean" },
  },
  {
    name: "softmaxCrossEntropy",
    call: (o) => softmaxCrossEntropy(v, labels, o),
    valid: { reduction: "sum", labelSmoothing: 0.1, ignoreIndex: -100 },
  },
  {
    name: "conv2d",
    call: (o) => conv2d(x, w, o),
    valid: { stride: 1, padding: 1, dilation: 1, groups: 1, bias: input("b", [4]) },
  },
  {
    name: "maxPool2d",
    call: (o) => maxPool2d(x, o as never),
    valid: { kernel: 2, stride: 2, padding: 0, ceilMode: false },
    required: ["kernel"],
  },
  {
    name: "avgPool2d",
    call: (o) => avgPool2d(x, o as never),
    valid: { kernel: 2, stride: 2, padding: 0, ceilMode: false, countIncludePad: false },
    required: ["kernel"],
  },
  { name: "nn.softplus", call: (o) => nn.softplus(o), valid: { beta: 1, threshold: 20 } },
  {
    name: "nn.dense",
    call: (o) => nn.dense(3, o),
    valid: { bias: false, kernelInit: nn.heNormal, biasInit: nn.zeros },
  },
  {
    name: "nn.conv2d",
    call: (o) => nn.conv2d(3, 3, o),
    valid: {
      stride: 1,
      padding: "same",
      dilation: 1,
      groups: 1,
      bias: true,
      kernelInit: nn.heNormal,
      biasInit: nn.zeros,
    },
  },
  { name: "nn.batchNorm", call: (o) => nn.batchNorm(o), valid: { momentum: 0.2, eps: 1e-3 } },
  {
    name: "nn.dense (one options object)",
    call: (o) => nn.dense(o as never),
    valid: { out: 3, bias: false },
    required: ["out"],
  },
  {
    name: "nn.conv2d (one options object)",
    call: (o) => nn.conv2d(o as never),
    valid: { out: 3, kernel: 3, stride: 1, padding: 1 },
    required: ["out", "kernel"],
  },
  {
    name: "nn.dropout",
    call: (o) => nn.dropout(o as never),
    valid: { rate: 0.5 },
    required: ["rate"],
  },
  { name: "nn.leakyRelu", call: (o) => nn.leakyRelu(o), valid: { slope: 0.2 } },
  {
    name: "nn.adaptiveAvgPool2d",
    call: (o) => nn.adaptiveAvgPool2d(o as never),
    valid: { size: 2 },
    required: ["size"],
  },
  {
    name: "predict",
    call: (o) => predict(nn.relu(), {}, {}, o),
    valid: { backend: referenceBackend(), pipeline: {} },
    required: ["backend"],
  },
  {
    name: "nn.maxPool2d",
    call: (o) => nn.maxPool2d(o as never),
    valid: { kernel: 2, stride: 1, padding: 0, ceilMode: false },
    required: ["kernel"],
  },
  {
    name: "nn.avgPool2d",
    call: (o) => nn.avgPool2d(o as never),
    valid: { kernel: 2, stride: 1, padding: 0, ceilMode: false, countIncludePad: true },
    required: ["kernel"],
  },
  {
    name: "optim.sgd",
    call: (o) => optim.sgd(0.1, o),
    valid: { momentum: 0.9, nesterov: false, weightDecay: 1e-4 },
  },
  {
    name: "optim.rmsprop",
    call: (o) => optim.rmsprop(0.1, o),
    valid: { alpha: 0.9, eps: 1e-8, momentum: 0.5, weightDecay: 0, centered: true },
  },
  {
    name: "optim.adam",
    call: (o) => optim.adam(0.1, o),
    valid: { beta1: 0.8, beta2: 0.99, eps: 1e-7, weightDecay: 0 },
  },
  {
    name: "optim.adamw",
    call: (o) => optim.adamw(0.1, o),
    valid: { beta1: 0.8, beta2: 0.99, eps: 1e-7, weightDecay: 0.1 },
  },
  {
    name: "optim.exponentialDecay",
    call: (o) => optim.exponentialDecay(1, o),
    valid: { decayRate: 0.9, decaySteps: 3 },
    required: ["decayRate"],
  },
  {
    name: "optim.stepDecay",
    call: (o) => optim.stepDecay(1, o as never),
    valid: { stepSize: 3, gamma: 0.5 },
    required: ["stepSize"],
  },
  {
    name: "optim.inverseTimeDecay",
    call: (o) => optim.inverseTimeDecay(1, o as never),
    valid: { decayRate: 0.5, decaySteps: 2 },
    required: ["decayRate"],
  },
  { name: "augment.flipHorizontal", call: (o) => augment.flipHorizontal(o), valid: { p: 0.3 } },
  { name: "augment.flipVertical", call: (o) => augment.flipVertical(o), valid: { p: 0.3 } },
  {
    name: "augment.randomShift",
    call: (o) => augment.randomShift(o as never),
    valid: { max: 2 },
    required: ["max"],
  },
  {
    name: "augment.randomCrop",
    call: (o) => augment.randomCrop(o as never),
    valid: { padding: 2 },
    required: ["padding"],
  },
  {
    name: "augment.randomScale",
    call: (o) => augment.randomScale(o as never),
    valid: { min: 0.9, max: 1.1 },
    required: ["min", "max"],
  },
  {
    name: "augment.randomRotation",
    call: (o) => augment.randomRotation(o as never),
    valid: { degrees: 10 },
    required: ["degrees"],
  },
  {
    name: "augment.colorJitter",
    call: (o) => augment.colorJitter(o),
    valid: { brightness: 0.2, contrast: 0.2, saturation: 0.2, randomOrder: false },
  },
  {
    name: "augment.pcaJitter",
    call: (o) => augment.pcaJitter(o as never),
    valid: { ...rgbPca, std: 0.1 },
    required: ["eigvals", "eigvecs"],
  },
  {
    name: "augment.gaussianNoise",
    call: (o) => augment.gaussianNoise(o as never),
    valid: { std: 0.1, clip: [0, 1] },
    required: ["std"],
  },
  {
    name: "valueAndGrad",
    call: (o) => valueAndGrad((t: Tensor) => sum(t), o as never),
    valid: { argnum: 0, hasAux: false },
  },
  { name: "vjp", call: (o) => vjp((t: Tensor) => t, v, o as never), valid: { hasAux: false } },
  {
    name: "compile",
    call: (o) =>
      compile(referenceBackend(), ({ a }: { a: Tensor }) => ({ y: a }), { a: { shape: [2] } }, o),
    valid: {
      disable: [],
      validate: true,
      name: "t",
      inPlace: false,
      epilogues: false,
      foldTransposes: false,
      optimize: false,
    },
  },
  {
    name: "adaptiveAvgPool2d (positional size: no options)",
    call: () => adaptiveAvgPool2d(x, [2, 3]),
    valid: {},
  },
];

/** A subset of a case's valid options that keeps its required ones. */
const subsetArb = (c: Case) =>
  fc
    .subarray(Object.keys(c.valid))
    .map((keys) =>
      Object.fromEntries(
        Object.entries(c.valid).filter(([k]) => keys.includes(k) || (c.required ?? []).includes(k)),
      ),
    );

const keyArb = (c: Case) =>
  fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.constantFrom(
        "toString",
        "constructor",
        "__proto__",
        "hasOwnProperty",
        "ceilmode",
        "Stride",
      ),
    )
    .filter((k) => !Object.hasOwn(c.valid, k));

describe("unknown option keys are refused by every public function that takes options", () => {
  it.each(CASES)("$name accepts its valid options and refuses any other key", (c) => {
    fc.assert(
      fc.property(subsetArb(c), keyArb(c), fc.anything(), (opts, extra, value) => {
        expect(() => c.call(opts)).not.toThrow();
        if (c.name.startsWith("adaptiveAvgPool2d")) return;
        const bad = { ...opts, [extra]: value };
        let err: unknown;
        try {
          c.call(bad);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(LoomError);
        const le = err as LoomError;
        expect(le.code).toBe("invalid_option");
        expect(le.message).toContain(`unknown option "${extra}"`);
        for (const k of Object.keys(c.valid)) expect(le.message).toContain(`"${k}"`);
      }),
      { numRuns: 30 },
    );
  });

  it("names the op, the key and the valid keys", () => {
    expect(() => maxPool2d(x, { kernel: 2, ceilmode: true } as never)).toThrow(
      'maxPool2d: unknown option "ceilmode"; valid options are "kernel", "stride", "padding", "ceilMode"',
    );
  });
});
