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

/** A kernel that runs `body` on float32 calls and hands every other call to `fallback`. */
const onF32 =
  <C extends LibraryCall>(
    fallback: LibraryKernelImpl<C>,
    body: LibraryKernelImpl<C>,
  ): LibraryKernelImpl<C> =>
  (args) =>
    isF32(args) ? body(args) : fallback(args);

/** A convolution's sizes, read from its x `[N,C,H,W]`, w `[O,C/g,KH,KW]` and y `[N,O,Ho,Wo]` shapes. */
const convDims = (
  [N, C, H, W]: readonly number[],
  [O, I, KH, KW]: readonly number[],
  [, , Ho, Wo]: readonly number[],
  call: Conv2dCall | Conv2dGradInputCall | Conv2dGradFilterCall,
) => {
  const geo = convGeometry(call);
  const shape: ColShape = { I: I!, H: H!, W: W!, KH: KH!, KW: KW!, Ho: Ho!, Wo: Wo! };
  // Og output channels per group, R = I*KH*KW taps, S = Ho*Wo windows.
  const [Og, R, S] = [O! / geo.groups, I! * KH! * KW!, Ho! * Wo!];
  return { N: N!, C: C!, O: O!, I: I!, HW: H! * W!, geo, G: geo.groups, Og, R, S, shape };
};

/** conv2d: x `[N,C,H,W]`, w `[O,C/g,KH,KW]` -> y `[N,O,Ho,Wo]`. */
export const makeWasmConv2dKernel = (g: WasmGemm, fallback: LibraryKernelImpl<Conv2dCall>) =>
  onF32(fallback, (args) => {
    const x = args.inputs[0] as Float32Array;
    const y = args.out as Float32Array;
    const d = convDims(args.inShapes[0]!, args.inShapes[1]!, args.outShape, args.call);
    const ldc = roundUp(d.S, 8);
    g.reset();
    const pw = g.put(args.inputs[1] as Float32Array, 0, d.O * d.R);
    const col = g.alloc(d.R * d.S);
    const pc = g.alloc(roundUp(d.Og, MR) * ldc);
    for (let n = 0; n < d.N; n++) {
      for (let gi = 0; gi < d.G; gi++) {
        im2col(x, (n * d.C + gi * d.I) * d.HW, d.shape, d.geo, g.f32, col);
        g.gemm(d.Og, d.S, d.R, pw + gi * d.Og * d.R, d.R, 1, col, d.S, 1, pc, ldc, false);
        g.take(pc, ldc, d.Og, d.S, y, (n * d.O + gi * d.Og) * d.S);
      }
    }
  });

/** The slice of dy `[N,O,Ho,Wo]` for image n and channel group gi (`Og x S`). */
const dySlice = (dy: Float32Array, d: ReturnType<typeof convDims>, n: number, gi: number) =>
  dy.subarray((n * d.O + gi * d.Og) * d.S, (n * d.O + (gi + 1) * d.Og) * d.S);

/** conv2d_grad_filter: x `[N,C,H,W]`, dy `[N,O,Ho,Wo]` -> dw `[O,C/g,KH,KW]`. */
export const makeWasmConv2dGradFilterKernel = (
  g: WasmGemm,
  fallback: LibraryKernelImpl<Conv2dGradFilterCall>,
) =>
  onF32(fallback, (args) => {
    const x = args.inputs[0] as Float32Array;
    const dy = args.inputs[1] as Float32Array;
    const d = convDims(args.inShapes[0]!, args.outShape, args.inShapes[1]!, args.call);
    const ldc = roundUp(d.R, 8);
    const per = roundUp(d.Og, MR) * ldc;
    g.reset();
    const col = g.alloc(d.R * d.S);
    const pd = g.alloc(d.Og * d.S);
    const pc = g.alloc(d.G * per);
    g.f32.fill(0, pc, pc + d.G * per);
    for (let n = 0; n < d.N; n++) {
      for (let gi = 0; gi < d.G; gi++) {
        im2col(x, (n * d.C + gi * d.I) * d.HW, d.shape, d.geo, g.f32, col);
        g.f32.set(dySlice(dy, d, n, gi), pd);
        g.gemm(d.Og, d.R, d.S, pd, d.S, 1, col, 1, d.S, pc + gi * per, ldc, true);
      }
    }
    const dw = args.out as Float32Array;
    for (let gi = 0; gi < d.G; gi++) g.take(pc + gi * per, ldc, d.Og, d.R, dw, gi * d.Og * d.R);
  });

/** conv2d_grad_input: dy `[N,O,Ho,Wo]`, w `[O,C/g,KH,KW]` -> dx `[N,C,H,W]`. */
export const makeWasmConv2dGradInputKernel = (
  g: WasmGemm,
  fallback: LibraryKernelImpl<Conv2dGradInputCall>,
) =>
  onF32(fallback, (args) => {
    const dy = args.inputs[0] as Float32Array;
    const dx = args.out as Float32Array;
    const d = convDims(args.outShape, args.inShapes[1]!, args.inShapes[0]!, args.call);
    const ldc = roundUp(d.S, 8);
    g.reset();
    const pw = g.put(args.inputs[1] as Float32Array, 0, d.O * d.R);
    const pd = g.alloc(d.Og * d.S);
    const pc = g.alloc(roundUp(d.R, MR) * ldc);
    dx.fill(0, 0, d.N * d.C * d.HW);
    for (let n = 0; n < d.N; n++) {
      for (let gi = 0; gi < d.G; gi++) {
        g.f32.set(dySlice(dy, d, n, gi), pd);
        g.gemm(d.R, d.S, d.Og, pw + gi * d.Og * d.R, 1, d.R, pd, d.S, 1, pc, ldc, false);
        col2im(g.f32, pc, ldc, d.shape, d.geo, dx, (n * d.C + gi * d.I) * d.HW);
      }
    }
  });
