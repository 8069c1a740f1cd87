import type {
  Conv2dCall,
  Conv2dGradFilterCall,
  Conv2dGradInputCall,
  LibraryCall,
} from "@loom/graph";
import type { LibraryArgs, LibraryKernelImpl } from "../kernel";
import { convGeometry } from "../window";
import type { ColShape } from "./col";
import { col2im, im2col } from "./col";
import type { WasmGemm } from "./wasm-gemm";
import { MR, roundUp } from "./wasm-gemm";

/**
 * The three convolutions on the WebAssembly GEMM, per image and channel group, with `Og`
 * output channels, `R = I*KH*KW` taps and `S = Ho*Wo` windows, over the tap matrix `col`
 * (`R x S`, col.ts) built in the module's memory:
 *
 * - forward: `y = W (Og x R) * col`;
 * - filter gradient: `dW += dy (Og x S) * col^T`, accumulated over the batch in the module;
 * - input gradient: `dx = col2im(W^T (R x Og) * dy)`.
 *
 * im2col rather than the JS path's direct kernels: with the multiply 5-10x faster than in JS,
 * one pass of packing per image is cheap beside it, and one formulation serves every shape.
 * Float32 only (float64 goes to the JS kernels, `fallback`).
 */

const isF32 = (args: LibraryArgs<LibraryCall>) =>
  args.out instanceof Float32Array && args.inputs.every((x) => x instanceof Float32Array);

/** conv2d: x `[N,C,H,W]`, w `[O,C/g,KH,KW]` -> y `[N,O,Ho,Wo]`. */
export const makeWasmConv2dKernel = (
  g: WasmGemm,
  fallback: LibraryKernelImpl<Conv2dCall>,
): LibraryKernelImpl<Conv2dCall> => {
  return (args) => {
    if (!isF32(args)) return fallback(args);
    const x = args.inputs[0] as Float32Array;
    const y = args.out as Float32Array;
    const [N, C, H, W] = args.inShapes[0];
    const [O, I, KH, KW] = args.inShapes[1];
    const [, , Ho, Wo] = args.outShape;
    const geo = convGeometry(args.call);
    const G = geo.groups;
    const Og = O / G;
    const R = I * KH * KW;
    const S = Ho * Wo;
    const shape: ColShape = { I, H, W, KH, KW, Ho, Wo };
    const ldc = roundUp(S, 8);
    g.reset();
    const pw = g.put(args.inputs[1] as Float32Array, 0, O * R);
    const col = g.alloc(R * S);
    const pc = g.alloc(roundUp(Og, MR) * ldc);
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < G; gi++) {
        im2col(x, (n * C + gi * I) * H * W, shape, geo, g.f32, col);
        g.gemm(Og, S, R, pw + gi * Og * R, R, 1, col, S, 1, pc, ldc, false);
        g.take(pc, ldc, Og, S, y, (n * O + gi * Og) * S);
      }
    }
  };
};

/** conv2d_grad_filter: x `[N,C,H,W]`, dy `[N,O,Ho,Wo]` -> dw `[O,C/g,KH,KW]`. */
export const makeWasmConv2dGradFilterKernel = (
  g: WasmGemm,
  fallback: LibraryKernelImpl<Conv2dGradFilterCall>,
): LibraryKernelImpl<Conv2dGradFilterCall> => {
  return (args) => {
    if (!isF32(args)) return fallback(args);
    const x = args.inputs[0] as Float32Array;
    const dy = args.inputs[1] as Float32Array;
    const dw = args.out as Float32Array;
    const [N, C, H, W] = args.inShapes[0];
    const [, O, Ho, Wo] = args.inShapes[1];
    const [, I, KH, KW] = args.outShape;
    const geo = convGeometry(args.call);
    const G = geo.groups;
    const Og = O / G;
    const R = I * KH * KW;
    const S = Ho * Wo;
    const shape: ColShape = { I, H, W, KH, KW, Ho, Wo };
    const ldc = roundUp(R, 8);
    const per = roundUp(Og, MR) * ldc;
    g.reset();
    const col = g.alloc(R * S);
    const pd = g.alloc(Og * S);
    const pc = g.alloc(G * per);
    g.f32.fill(0, pc, pc + G * per);
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < G; gi++) {
        im2col(x, (n * C + gi * I) * H * W, shape, geo, g.f32, col);
        g.f32.set(dy.subarray((n * O + gi * Og) * S, (n * O + (gi + 1) * Og) * S), pd);
        g.gemm(Og, R, S, pd, S, 1, col, 1, S, pc + gi * per, ldc, true);
      }
    }
    for (let gi = 0; gi < G; gi++) g.take(pc + gi * per, ldc, Og, R, dw, gi * Og * R);
  };
};

/** conv2d_grad_input: dy `[N,O,Ho,Wo]`, w `[O,C/g,KH,KW]` -> dx `[N,C,H,W]`. */
export const makeWasmConv2dGradInputKernel = (
  g: WasmGemm,
  fallback: LibraryKernelImpl<Conv2dGradInputCall>,
): LibraryKernelImpl<Conv2dGradInputCall> => {
  return (args) => {
    if (!isF32(args)) return fallback(args);
    const dy = args.inputs[0] as Float32Array;
    const dx = args.out as Float32Array;
    const [, O, Ho, Wo] = args.inShapes[0];
    const [, I, KH, KW] = args.inShapes[1];
    const [N, C, H, W] = args.outShape;
    const geo = convGeometry(args.call);
    const G = geo.groups;
    const Og = O / G;
    const R = I * KH * KW;
    const S = Ho * Wo;
    const shape: ColShape = { I, H, W, KH, KW, Ho, Wo };
    const ldc = roundUp(S, 8);
    g.reset();
    const pw = g.put(args.inputs[1] as Float32Array, 0, O * R);
    const pd = g.alloc(Og * S);
    const pc = g.alloc(roundUp(R, MR) * ldc);
    dx.fill(0, 0, N * C * H * W);
    for (let n = 0; n < N; n++) {
      for (let gi = 0; gi < G; gi++) {
        g.f32.set(dy.subarray((n * O + gi * Og) * S, (n * O + (gi + 1) * Og) * S), pd);
        g.gemm(R, S, Og, pw + gi * Og * R, 1, R, pd, S, 1, pc, ldc, false);
        col2im(g.f32, pc, ldc, shape, geo, dx, (n * C + gi * I) * H * W);
      }
    }
  };
};
