import { LoomError } from "@loom/graph";

/** Where the backend's WebGL2 context comes from. */
export type WebGLTarget = HTMLCanvasElement | OffscreenCanvas;

const ATTRIBUTES: WebGLContextAttributes = {
  alpha: false,
  antialias: false,
  depth: false,
  stencil: false,
  premultipliedAlpha: false,
  preserveDrawingBuffer: false,
  powerPreference: "high-performance",
};

/** A canvas for a context of our own: an OffscreenCanvas where there is one (workers too), else a DOM canvas. */
const newCanvas = (): WebGLTarget => {
  if (typeof OffscreenCanvas !== "undefined") return new OffscreenCanvas(1, 1);
  if (typeof document !== "undefined") return document.createElement("canvas");
  throw new LoomError(
    "unsupported",
    "webgl",
    "no canvas to create a WebGL2 context on (not a browser or worker); use the CPU backend",
  );
};

/**
 * A WebGL2 context on `canvas` (or on a canvas of our own) with EXT_color_buffer_float, which
 * makes R32F textures renderable: without it no kernel could write a float32 result.
 */
export const createContext = (canvas: WebGLTarget | undefined): WebGL2RenderingContext => {
  const target = canvas ?? newCanvas();
  const gl = target.getContext("webgl2", ATTRIBUTES) as WebGL2RenderingContext | null;
  if (gl === null)
    throw new LoomError(
      "unsupported",
      "webgl",
      "this browser or GPU offers no WebGL2 context (or the canvas already has a context of another kind); use the CPU backend",
    );
  if (gl.getExtension("EXT_color_buffer_float") === null)
    throw new LoomError(
      "unsupported",
      "webgl",
      "WebGL2 here lacks EXT_color_buffer_float, so shaders cannot write float32 textures; use the CPU backend",
    );
  return gl;
};

/** The error for a context the browser took away (GPU reset, too many contexts, a disposed backend). */
export const contextLost = (during: string): LoomError =>
  new LoomError(
    "unsupported",
    "webgl",
    `the WebGL context was lost ${during} (GPU reset, too many contexts, or the backend was disposed); create a new webglBackend() and compile again, or use the CPU backend`,
  );

const GL_ERRORS: Readonly<Record<number, string>> = {
  0x0500: "INVALID_ENUM",
  0x0501: "INVALID_VALUE",
  0x0502: "INVALID_OPERATION",
  0x0505: "OUT_OF_MEMORY",
  0x0506: "INVALID_FRAMEBUFFER_OPERATION",
  0x9242: "CONTEXT_LOST_WEBGL",
};

/**
 * Throws a LoomError for a pending GL error (or a lost context) after `during`. Called once per
 * compile and once per run, after the readback that waits for the GPU anyway: a GL error is
 * never swallowed, and no draw pays for a round trip.
 */
export const checkGl = (gl: WebGL2RenderingContext, during: string): void => {
  if (gl.isContextLost()) throw contextLost(during);
  const e = gl.getError();
  if (e === gl.NO_ERROR) return;
  const name = GL_ERRORS[e] ?? `0x${e.toString(16)}`;
  throw new LoomError(
    "unsupported",
    "webgl",
    e === gl.OUT_OF_MEMORY
      ? `the GPU ran out of memory ${during}; use a smaller batch or model, or the CPU backend`
      : `WebGL reported ${name} ${during}; this is a bug of the WebGL backend: report it with the plan (loom inspect), and use the CPU backend meanwhile`,
  );
};
