import type {
  Conv2dCall,
  Conv2dGradFilterCall,
  Conv2dGradInputCall,
  LibraryCall,
} from "@loom/graph";
import type { LibraryArgs, LibraryKernelImpl } from "../kernel";
import type { ConvGeometry } from "../window";
import { convGeometry } from "../window";
import type { ConvPlan, ConvSizes } from "./conv-plan";
import { copyImages, planConv, transposeBatch } from "./conv-plan";
import type { GemmExports } from "./wasm-core";
import type { WasmGemm } from "./wasm-gemm";
import { BLOCKING, MR, roundUp } from "./wasm-gemm";

/**
 * The three convolutions as implicit GEMMs on the WebAssembly kernels, one GEMM per channel
 * group with the batch folded into the windows (conv-plan.ts): `Og` output channels, `R =
 * I*KH*KW` taps, `NS = N*Ho*Wo` windows.
 *
 * - forward: `y (Og x NS) = W (Og x R) * X`, B panels of X gathered straight from the image;
 * - filter gradient: `dW (Og x R) = dy (Og x NS) * X^T`, B panels of X^T gathered likewise;
 * - input gradient: `dX = W^T (R x Og) * dy`, one chunk of windows at a time, each chunk's
 *   result added back into the zeroed image buffer by `scatter` (col2im in the module).
 *
 * No im2col matrix: the image is read in place by the packing, so the only copies are the
 * image (once, into a zero-bordered buffer) and dy/y (channel-major, for the folded GEMM).
 * Float32 only (float64 goes to the JS kernels, `fallback`).
 */

/** The exports this file drives: the GEMM's and conv-wat.ts's. */
interface ConvExports extends GemmExports {
  readonly gather: (
    rows: number,
    cols: number,
    flags: number,
    kc: number,
    nc: number,
    dst: number,
  ) => void;
  readonly packA4: (src: number, ld: number, rows: number, kc: number, dst: number) => void;
  readonly scatter: (
    c: number,
    ldc: number,
    rows: number,
    cols: number,
    flags: number,
    m: number,
    nc: number,
  ) => void;
}

/**
 * Packs the row-major `rows x kc` block of A at float address `src` (row stride `ld`) into the
 * MR-row panels at `dst`: whole 4-row panels with vectors (`packA4`), the rest with `pack`.
 */
const packA = (ex: ConvExports, src: number, ld: number, rows: number, kc: number, dst: number) => {
  const full = MR === 4 ? rows - (rows % 4) : 0;
  if (full > 0) ex.packA4(4 * src, ld, full, kc, 4 * dst);
  if (full < rows)
    ex.pack(4 * (src + full * ld), ld, 1, rows - full, kc, 4 * (dst + full * kc), MR);
};

/** Windows per chunk of the input gradient: its `R x chunk` result stays in L2 before the scatter. */
const GRAD_INPUT_CHUNK = 256;

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

/** A convolution's sizes, from its x `[N,C,H,W]`, w `[O,C/g,KH,KW]` and y `[N,O,Ho,Wo]` shapes. */
const convSizes = (
  [N, C, H, W]: readonly number[],
  [O, I, KH, KW]: readonly number[],
  [, , Ho, Wo]: readonly number[],
  geo: ConvGeometry,
): ConvSizes & { readonly O: number } => ({
  N: N!,
  C: C!,
  I: I!,
  O: O!,
  Og: O! / geo.groups,
  G: geo.groups,
  H: H!,
  W: W!,
  KH: KH!,
  KW: KW!,
  Ho: Ho!,
  Wo: Wo!,
});

/** Starts a call: frees the heap, lays out the images and tables, copies `x` in (if given). */
const begin = (g: WasmGemm, z: ConvSizes, geo: ConvGeometry, x?: Float32Array): ConvPlan => {
  g.reset();
  const p = planConv(g, z, geo);
  if (x) copyImages(g, z, p, geo, x, true);
  else g.f32.fill(0, p.img, p.img + z.N * z.C * p.Hp * p.Wp);
  return p;
};

/** conv2d: x `[N,C,H,W]`, w `[O,C/g,KH,KW]` -> y `[N,O,Ho,Wo]`. */
export const makeWasmConv2dKernel = (g: WasmGemm, fallback: LibraryKernelImpl<Conv2dCall>) =>
  onF32(fallback, (args) => {
    const geo = convGeometry(args.call);
    const z = convSizes(args.inShapes[0]!, args.inShapes[1]!, args.outShape, geo);
    const p = begin(g, z, geo, args.inputs[0] as Float32Array);
    const { KC, NC } = { KC: BLOCKING.kc, NC: BLOCKING.nc };
    const ex = g.exports as ConvExports;
    const OgP = roundUp(z.Og, MR);
    const ldc = roundUp(p.NS, 8);
    const pw = g.put(args.inputs[1] as Float32Array, 0, z.O * p.R);
    const pa = g.alloc(OgP * p.R);
    const pb = g.alloc(KC * NC);
    const c = g.alloc(OgP * ldc);
    const y = args.out as Float32Array;
    for (let gi = 0; gi < z.G; gi++) {
      for (let pc = 0; pc < p.R; pc += KC) {
        const kc = Math.min(KC, p.R - pc);
        packA(ex, pw + gi * z.Og * p.R + pc, p.R, z.Og, kc, pa + pc * OgP);
      }
      for (let jc = 0; jc < p.NS; jc += NC) {
        const nc = Math.min(NC, p.NS - jc);
        for (let pc = 0; pc < p.R; pc += KC) {
          const kc = Math.min(KC, p.R - pc);
          const taps = p.taps + 4 * (gi * p.Rp + pc);
          ex.gather(taps, p.wins + 4 * jc, p.winFlags + jc / 2, kc, nc, 4 * pb);
          ex.block(
            z.Og,
            nc,
            kc,
            4 * (pa + pc * OgP),
            4 * pb,
            4 * (c + jc),
            4 * ldc,
            pc > 0 ? 1 : 0,
          );
        }
      }
      const S = z.Ho * z.Wo;
      transposeBatch(g.f32, c, ldc, y.subarray(gi * z.Og * S), [z.N, z.Og, S, z.O * S], false);
    }
  });

/** Copies dy `[N,O,Ho,Wo]` into the module as the channel-major `[O, NS]` matrix; its address. */
const putGradient = (
  g: WasmGemm,
  z: ConvSizes & { readonly O: number },
  p: ConvPlan,
  dy: Float32Array,
) => {
  const S = z.Ho * z.Wo;
  const at = g.alloc(z.O * p.NS);
  transposeBatch(g.f32, at, p.NS, dy, [z.N, z.O, S, z.O * S], true);
  return at;
};

/** conv2d_grad_filter: x `[N,C,H,W]`, dy `[N,O,Ho,Wo]` -> dw `[O,C/g,KH,KW]`. */
export const makeWasmConv2dGradFilterKernel = (
  g: WasmGemm,
  fallback: LibraryKernelImpl<Conv2dGradFilterCall>,
) =>
  onF32(fallback, (args) => {
    const geo = convGeometry(args.call);
    const z = convSizes(args.inShapes[0]!, args.outShape, args.inShapes[1]!, geo);
    const p = begin(g, z, geo, args.inputs[0] as Float32Array);
    const { KC, NC } = { KC: BLOCKING.kc, NC: BLOCKING.nc };
    const ex = g.exports as ConvExports;
    const pd = putGradient(g, z, p, args.inputs[1] as Float32Array);
    const ldc = p.Rp;
    const pa = g.alloc(roundUp(z.Og, MR) * KC);
    const pb = g.alloc(KC * NC);
    const c = g.alloc(roundUp(z.Og, MR) * ldc);
    const dw = args.out as Float32Array;
    for (let gi = 0; gi < z.G; gi++) {
      for (let jc = 0; jc < p.R; jc += NC) {
        const nc = Math.min(NC, p.R - jc);
        const taps = gi * p.Rp + jc;
        for (let pc = 0; pc < p.NS; pc += KC) {
          const kc = Math.min(KC, p.NS - pc);
          packA(ex, pd + gi * z.Og * p.NS + pc, p.NS, z.Og, kc, pa);
          ex.gather(p.wins + 4 * pc, p.taps + 4 * taps, p.tapFlags + taps / 2, kc, nc, 4 * pb);
          ex.block(z.Og, nc, kc, 4 * pa, 4 * pb, 4 * (c + jc), 4 * ldc, pc > 0 ? 1 : 0);
        }
      }
      g.take(c, ldc, z.Og, p.R, dw, gi * z.Og * p.R);
    }
  });

/** conv2d_grad_input: dy `[N,O,Ho,Wo]`, w `[O,C/g,KH,KW]` -> dx `[N,C,H,W]`. */
export const makeWasmConv2dGradInputKernel = (
  g: WasmGemm,
  fallback: LibraryKernelImpl<Conv2dGradInputCall>,
) =>
  onF32(fallback, (args) => {
    const geo = convGeometry(args.call);
    const z = convSizes(args.outShape, args.inShapes[1]!, args.inShapes[0]!, geo);
    const p = begin(g, z, geo);
    const ex = g.exports as ConvExports;
    const pd = putGradient(g, z, p, args.inputs[0] as Float32Array);
    const pw = g.put(args.inputs[1] as Float32Array, 0, z.O * p.R);
    const ldc = GRAD_INPUT_CHUNK;
    const c = g.alloc(roundUp(p.R, MR) * ldc);
    for (let gi = 0; gi < z.G; gi++) {
      const taps = p.taps + 4 * gi * p.Rp;
      for (let jc = 0; jc < p.NS; jc += ldc) {
        const nc = Math.min(ldc, p.NS - jc);
        const [w, dy] = [pw + gi * z.Og * p.R, pd + gi * z.Og * p.NS + jc];
        g.gemm(p.R, nc, z.Og, w, 1, p.R, dy, p.NS, 1, c, ldc, false);
        ex.scatter(4 * c, 4 * ldc, taps, p.wins + 4 * jc, p.winFlags + jc / 2, p.R, nc);
      }
    }
    copyImages(g, z, p, geo, args.out as Float32Array, false);
  });
