import type { MaxPool2dGradCall } from "@loom/graph";
import { helpersFor } from "../glsl-helpers";
import { glslInt as I } from "../render-glsl";
import { loader } from "../shader-frame";
import { folded, fragmentOf, size, texel } from "./gemm";
import { argmaxWindowGlsl } from "./max-pool2d";
import type { TiledGenerator } from "./tiled";
import { passShader } from "./tiled";
import { forEachWindowOf, poolGeometry, unflatten } from "./window";

/** Below this many input elements the extra draw costs more than it saves. */
const MIN_ELEMENTS = 4096;

/**
 * max_pool2d_grad in two draws. The one-element kernel finds the arg-max of every window
 * covering an element again for each element (a 2x2 window: four arg-max searches of four
 * loads per element). Here a prepass finds each window's first arg-max once, writing
 * `(argmax, dy)` per window into an RGBA32F texture laid out `(wo, p * Ho + ho)`; the frame
 * then sums, over the windows covering its element in row-major order, the dy of those whose
 * arg-max it is: one fetch per window, and no loop at all when windows do not overlap.
 */
export const maxPool2dGradTiled: TiledGenerator<MaxPool2dGradCall> = (a) => {
  const [N, C, H, W] = a.outShape as [number, number, number, number];
  const [, , Ho, Wo] = a.inShapes[1] as [number, number, number, number];
  const { mode, maxSize } = a.limits;
  if (mode === "never" || a.inputs.some((b) => b.dtype !== "float32")) return undefined;
  if (mode === "auto" && N * C * H * W < MIN_ELEMENTS) return undefined;
  const f = folded(N * C * Ho, Wo, maxSize);
  if (f === undefined) return undefined;
  const g = poolGeometry(a.call);
  const argmax = argmaxWindowGlsl(g, I(H), I(W));
  const functions = `${loader(0, a.inputs[0]!)}\n${loader(1, a.inputs[1]!)}\n${argmax}`;
  const prepass = passShader(
    2,
    1,
    `${helpersFor(argmax)}\n${functions}`,
    `${fragmentOf(f)}
  int p = row / ${I(Ho)};
  int ho = row - p * ${I(Ho)};
  int wo = col;
  vec4 v = vec4(0.0);
  if (row < ${I(N * C * Ho)}) {
    int best = argmaxWindow(p * ${I(H * W)}, ho, wo);
    v = vec4(float(best), ld1(row * ${I(Wo)} + wo), 0.0, 0.0);
  }
  o0 = v;`,
  );
  const [sh, sw] = a.call.stride;
  const [KH, KW] = a.call.kernel;
  const add = `vec4 t = texelFetch(u${I(a.frameUnits)}, ${texel(f, `p * ${I(Ho)} + ho`, "wo")}, 0);
      if (int(t.r) == me) acc += t.g;`;
  // Windows that do not overlap: the one covering (h, w), if any, is found by division.
  const windows =
    sh >= KH && sw >= KW
      ? `int th = h + ${g.pt};
  int tw = w + ${g.pl};
  int ho = th / ${g.sh};
  int wo = tw / ${g.sw};
  if (th - ho * ${g.sh} < ${g.KH} && tw - wo * ${g.sw} < ${g.KW} && ho < ${I(Ho)} && wo < ${I(Wo)}) {
    ${add}
  }`
      : forEachWindowOf(g, I(Ho), I(Wo), add);
  return {
    scratch: [size(f)],
    passes: [
      {
        source: prepass,
        reads: [
          { kind: "input", index: 0 },
          { kind: "input", index: 1 },
        ],
        writes: [0],
      },
    ],
    frameScratch: [0],
    functions: `float lib(int pos) {
  ${unflatten(["p", "h", "w"], [N * C, H, W])}
  int me = h * ${I(W)} + w;
  float acc = 0.0;
  ${windows}
  return acc;
}`,
  };
};
