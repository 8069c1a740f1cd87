import type { Conv2dCall, Conv2dGradFilterCall, Conv2dGradInputCall } from "@loom/graph";
import type { LibraryKernelImpl } from "../kernel";
import { convGeometry } from "../window";

/**
 * The input position a kernel tap reads for an output position, or -1 outside the input:
 * `i = o*stride - padLo + k*dilation`.
 */
const tap = (o: number, k: number, stride: number, padLo: number, dil: number, size: number) => {
  const i = o * stride - padLo + k * dil;
  return i >= 0 && i < size ? i : -1;
};

/**
 * The output position whose kernel tap `k` reads input position `i`, or -1 when none does
 * (the inverse of `tap`, used by the gather form of the input gradient).
 */
const untap = (i: number, k: number, stride: number, padLo: number, dil: number, size: number) => {
  const t = i + padLo - k * dil;
  if (t < 0 || t % stride !== 0) return -1;
  const o = t / stride;
  return o < size ? o : -1;
};

/**
 * conv2d: x `[N,C,H,W]`, w `[O,C/g,KH,KW]` -> `[N,O,Ho,Wo]`; output channel o sees the input
 * channels of its group `floor(o / (O/g))`.
 */
export const conv2dReference: LibraryKernelImpl<Conv2dCall> = ({
  inputs,
  inShapes,
  out,
  outShape,
  call,
}) => {
  const [x, w] = [inputs[0]!, inputs[1]!];
  const [, C, H, W] = inShapes[0]!;
  const [, I, KH, KW] = inShapes[1]!;
  const [N, O, Ho, Wo] = outShape;
  const g = convGeometry(call);
  const perGroupOut = O! / g.groups;
  let q = 0;
  for (let n = 0; n < N!; n++) {
    for (let o = 0; o < O!; o++) {
      const c0 = Math.floor(o / perGroupOut) * I!;
      for (let ho = 0; ho < Ho!; ho++) {
        for (let wo = 0; wo < Wo!; wo++) {
          let acc = 0;
          for (let ci = 0; ci < I!; ci++) {
            const xBase = (n * C! + c0 + ci) * H!;
            const wBase = (o * I! + ci) * KH!;
            for (let kh = 0; kh < KH!; kh++) {
              const h = tap(ho, kh, g.sh, g.pt, g.dh, H!);
              if (h < 0) continue;
              for (let kw = 0; kw < KW!; kw++) {
                const ww = tap(wo, kw, g.sw, g.pl, g.dw, W!);
                if (ww < 0) continue;
                acc += x[(xBase + h) * W! + ww]! * w[(wBase + kh) * KW! + kw]!;
              }
            }
          }
          out[q++] = acc;
        }
      }
    }
  }
};

/**
 * conv2d_grad_input: dy `[N,O,Ho,Wo]`, w `[O,C/g,KH,KW]` -> dx `[N,C,H,W]`. Written as a gather
 * (each dx element sums the output taps that read it) so it accumulates in one JS number.
 */
export const conv2dGradInputReference: LibraryKernelImpl<Conv2dGradInputCall> = ({
  inputs,
  inShapes,
  out,
  outShape,
  call,
}) => {
  const [dy, w] = [inputs[0]!, inputs[1]!];
  const [, O, Ho, Wo] = inShapes[0]!;
  const [, I, KH, KW] = inShapes[1]!;
  const [N, C, H, W] = outShape;
  const g = convGeometry(call);
  const perGroupOut = O! / g.groups;
  let q = 0;
  for (let n = 0; n < N!; n++) {
    for (let c = 0; c < C!; c++) {
      const grp = Math.floor(c / I!);
      const ci = c % I!;
      for (let h = 0; h < H!; h++) {
        for (let ww = 0; ww < W!; ww++) {
          let acc = 0;
          for (let o = grp * perGroupOut; o < (grp + 1) * perGroupOut; o++) {
            for (let kh = 0; kh < KH!; kh++) {
              const ho = untap(h, kh, g.sh, g.pt, g.dh, Ho!);
              if (ho < 0) continue;
              for (let kw = 0; kw < KW!; kw++) {
                const wo = untap(ww, kw, g.sw, g.pl, g.dw, Wo!);
                if (wo < 0) continue;
                acc +=
                  dy[((n * O! + o) * Ho! + ho) * Wo! + wo]! *
                  w[((o * I! + ci) * KH! + kh) * KW! + kw]!;
              }
            }
          }
          out[q++] = acc;
        }
      }
    }
  }
};

/**
 * conv2d_grad_filter: x `[N,C,H,W]`, dy `[N,O,Ho,Wo]` -> dw `[O,C/g,KH,KW]`: each filter tap
 * sums input times output gradient over the batch and every output position.
 */
export const conv2dGradFilterReference: LibraryKernelImpl<Conv2dGradFilterCall> = ({
  inputs,
  inShapes,
  out,
  outShape,
  call,
}) => {
  const [x, dy] = [inputs[0]!, inputs[1]!];
  const [N, C, H, W] = inShapes[0]!;
  const [, , Ho, Wo] = inShapes[1]!;
  const [O, I, KH, KW] = outShape;
  const g = convGeometry(call);
  const perGroupOut = O! / g.groups;
  let q = 0;
  for (let o = 0; o < O!; o++) {
    const c0 = Math.floor(o / perGroupOut) * I!;
    for (let ci = 0; ci < I!; ci++) {
      for (let kh = 0; kh < KH!; kh++) {
        for (let kw = 0; kw < KW!; kw++) {
          let acc = 0;
          for (let n = 0; n < N!; n++) {
            const xBase = (n * C! + c0 + ci) * H!;
            const dyBase = (n * O! + o) * Ho!;
            for (let ho = 0; ho < Ho!; ho++) {
              const h = tap(ho, kh, g.sh, g.pt, g.dh, H!);
              if (h < 0) continue;
              for (let wo = 0; wo < Wo!; wo++) {
                const ww = tap(wo, kw, g.sw, g.pl, g.dw, W!);
                if (ww < 0) continue;
                acc += x[(xBase + h) * W! + ww]! * dy[(dyBase + ho) * Wo! + wo]!;
              }
            }
          }
          out[q++] = acc;
        }
      }
    }
  }
};
