import type { Backend } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { WebGLBackendOptions } from "./webgl-backend";
import { webglBackend } from "./webgl-backend";

/** Options of `autoBackend`. */
export interface AutoBackendOptions {
  /** The fallback: loom's CPU backend (passed in, since this package does not depend on it). */
  readonly cpu: () => Backend;
  /** Options for the WebGL backend when it is picked. */
  readonly webgl?: WebGLBackendOptions;
  /** Pick WebGL on a software renderer too (default false: the CPU backend is faster there). */
  readonly allowSoftware?: boolean;
}

/** The backend `autoBackend` picked, which one, and why (for the user to see). */
export interface AutoBackendChoice {
  readonly backend: Backend;
  readonly picked: "webgl" | "cpu";
  readonly reason: string;
}

/**
 * Picks WebGL only where it can pay: WebGL2 with float render targets on a hardware renderer.
 * Anywhere else (Node, no WebGL2, no EXT_color_buffer_float, SwiftShader or llvmpipe) it picks
 * the CPU backend, and says why.
 */
export const autoBackend = (opts: AutoBackendOptions): AutoBackendChoice => {
  const cpu = (reason: string): AutoBackendChoice => ({
    backend: opts.cpu(),
    picked: "cpu",
    reason,
  });
  let gl: ReturnType<typeof webglBackend>;
  try {
    gl = webglBackend(opts.webgl);
  } catch (e) {
    if (e instanceof LoomError) return cpu(`WebGL is not usable here: ${e.message}`);
    throw e;
  }
  const { renderer, software } = gl.renderer;
  if (software && opts.allowSoftware !== true) {
    gl.dispose();
    return cpu(
      `WebGL2 runs on a software renderer (${renderer}), which emulates a GPU on the CPU: the CPU backend is faster`,
    );
  }
  return {
    backend: gl,
    picked: "webgl",
    reason: `WebGL2 with float render targets on ${renderer}`,
  };
};
