/**
 * Which renderer WebGL draws with. A software rasterizer (SwiftShader, llvmpipe, WARP) runs
 * every shader on the CPU, slower than the CPU backend's plain loops: the page says so. The
 * name comes from WEBGL_debug_renderer_info where the browser exposes it (the WebGL backend
 * may later export this itself; then this module only re-exports it).
 */

/** Renderer names of software rasterizers: SwiftShader (Chrome), llvmpipe/softpipe (Mesa), WARP and "Basic Render" (Windows). */
const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render|\bwarp\b/i;

/** Whether a WebGL renderer name is a software rasterizer. */
export const isSoftwareRenderer = (renderer: string): boolean => SOFTWARE.test(renderer);

/** The renderer of a WebGL context: the unmasked name when the browser gives it, else the masked one. */
export const rendererOf = (gl: WebGL2RenderingContext): string => {
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  const name: unknown = gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER);
  return typeof name === "string" ? name : "unknown";
};

/** The renderer of a fresh WebGL2 context on an OffscreenCanvas, or undefined without one. */
export const detectRenderer = (): string | undefined => {
  if (typeof OffscreenCanvas === "undefined") return undefined;
  const gl = new OffscreenCanvas(1, 1).getContext("webgl2");
  if (gl === null) return undefined;
  try {
    return rendererOf(gl);
  } finally {
    gl.getExtension("WEBGL_lose_context")?.loseContext();
  }
};
