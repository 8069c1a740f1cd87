/** What a WebGL context runs on, as the browser reports it. */
export interface RendererInfo {
  readonly vendor: string;
  readonly renderer: string;
  /** A CPU emulation of a GPU (SwiftShader, llvmpipe, ...): shaders run slower than loom's CPU backend. */
  readonly software: boolean;
}

/** Renderer names of software rasterisers (as browsers and Mesa report them). */
const SOFTWARE = /swiftshader|llvmpipe|softpipe|lavapipe|software|basic render driver/i;

/** Whether a renderer string names a software rasteriser rather than a GPU. */
export const isSoftwareRenderer = (renderer: string): boolean => SOFTWARE.test(renderer);

/**
 * The unmasked vendor and renderer (WEBGL_debug_renderer_info) where the browser exposes
 * them, else the masked `VENDOR`/`RENDERER` strings (which may say only "WebKit").
 */
export const rendererOf = (gl: WebGL2RenderingContext): RendererInfo => {
  const ext = gl.getExtension("WEBGL_debug_renderer_info");
  const vendor = String(gl.getParameter(ext?.UNMASKED_VENDOR_WEBGL ?? gl.VENDOR) ?? "");
  const renderer = String(gl.getParameter(ext?.UNMASKED_RENDERER_WEBGL ?? gl.RENDERER) ?? "");
  return { vendor, renderer, software: isSoftwareRenderer(`${vendor} ${renderer}`) };
};
