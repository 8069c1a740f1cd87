import { describe, expect, it } from "vitest";
import { textureLayout } from "../texture";
import type { ShaderBuffer } from "../shader-frame";
import { conv2dGradInputTiled, conv2dTiled } from "./conv-tiled";
import { gatherGemm } from "./conv-gather";
import { MAX_STEPS } from "./gemm";
import type { TiledKernel } from "./tiled";

// The generator side of the window-gather GEMM (the browser tests run it against the CPU):
// which convolutions take it, and that no fragment loops more than MAX_STEPS times.

const buf = (shape: readonly number[]): ShaderBuffer => ({
  dtype: "float32",
  layout: textureLayout(
    shape.reduce((a, b) => a * b, 1),
    4096,
    Infinity,
  ),
});
const limits = { maxSize: 8192, maxSamplers: 16, mode: "auto" } as const;
const geometry = { stride: [1, 1], pad: [0, 0, 0, 0], dilation: [1, 1], groups: 1 } as const;

/** The bounds of every `for` loop of a shader (they are all constant). */
const loopBounds = (k: TiledKernel): number[] =>
  [...k.passes.map((p) => p.source), k.functions]
    .join("\n")
    .split("\n")
    .flatMap((l) =>
      [...l.matchAll(/for \(int \w+ = [^;]+; \w+ < (\d+);/g)].map((m) => Number(m[1])),
    );

/** The tiled-generator arguments of a call on float32 inputs of the given shapes. */
const args = <C>(call: C, a: number[], b: number[], outShape: number[]) => ({
  inShapes: [a, b],
  outShape,
  call,
  inputs: [buf(a), buf(b)],
  frameUnits: 2,
  limits,
});

describe("conv gather GEMM", () => {
  it("serves LeNet-5's second convolution's input gradient without an im2col pass", () => {
    const call = { kind: "conv2d_grad_input", inputShape: [14, 14], ...geometry } as const;
    const k = conv2dGradInputTiled(args(call, [64, 16, 10, 10], [16, 6, 5, 5], [64, 6, 14, 14]))!;
    // The packed output gradient: 18 x 18 virtual positions (the taps reach 4 beyond each
    // side) of 4 channel quads per image, against 12544 x 100 texels of im2col.
    expect(k.scratch[0]).toEqual({ width: 18 * 4, height: 64 * 18 });
    expect(Math.max(...loopBounds(k))).toBeLessThanOrEqual(MAX_STEPS);
  });

  it("splits 25 taps x 40 channel quads into partial products of at most MAX_STEPS steps", () => {
    const call = { kind: "conv2d", ...geometry } as const;
    const k = conv2dTiled(args(call, [1, 160, 8, 8], [8, 160, 5, 5], [1, 8, 4, 4]))!;
    expect(k.passes[2]!.source).toContain("cq < 20;");
    expect(k.functions).toContain("s < 2;");
    expect(Math.max(...loopBounds(k))).toBeLessThanOrEqual(MAX_STEPS);
  });

  it("refuses windows of more taps than a fragment may loop over", () => {
    const g = {
      N: 1,
      P: 1,
      Q: 1,
      J: 1,
      KH: 23,
      KW: 23,
      src: { input: 0, loader: "", C: 1, H: 23, W: 23 },
      tapY: { a: 1, b: 1, c: 0, d: 1, size: 23 },
      tapX: { a: 1, b: 1, c: 0, d: 1, size: 23 },
      weight: { input: 1, loader: "", at: "" },
      lib: "",
    };
    expect(gatherGemm(g, 2, limits)).toBeUndefined();
  });
});
