import type { Backend, Executable, Plan } from "@loom/graph";
import { executableCache, LoomError } from "@loom/graph";
import type { WebGLTarget } from "./context";
import { createContext } from "./context";
import type { GpuState } from "./executable";
import { compileExecutable } from "./executable";
import { ProgramCache } from "./programs";
import type { RendererInfo } from "./renderer";
import { rendererOf } from "./renderer";
import { residentStore } from "./resident";

/** Options of the WebGL2 backend. */
export interface WebGLBackendOptions {
  /** The canvas to take a WebGL2 context from (default: an OffscreenCanvas of the backend's own). */
  readonly canvas?: WebGLTarget;
  /**
   * The widest texture row, in elements (default 4096, or the GPU's maximum texture size if
   * smaller). A power of two turns every texel address into a mask and a shift.
   */
  readonly maxTextureWidth?: number;
  /** Let a dead temporary's texture hold a later temporary of the same size (default true). */
  readonly reuseTextures?: boolean;
  /** Read outputs back as RGBA even where a one-channel read is offered (to test the path WebGL guarantees). */
  readonly forceRgbaReads?: boolean;
  /**
   * Adds each kernel's run time (ms) to `profile[k]`, for finding the slow kernels of a plan
   * (indices of the plan as run: `splitWideKernels` may have added kernels). It waits for the
   * GPU after every draw (a one-texel read), so it slows the run down.
   */
  readonly profile?: number[];
  /**
   * Register-tiled multi-pass library kernels (matmul: packed operands, 4x4 blocks per
   * fragment): "auto" (default) where they fit the GPU's limits and the work pays for the
   * extra draws, "always" where they fit (tests), "never".
   */
  readonly tiling?: "auto" | "always" | "never";
}

/** The WebGL2 backend, with what it runs on (`renderer.software`: SwiftShader and the like, slower than the CPU backend). */
export type WebGLBackend = Backend & { readonly renderer: RendererInfo };

/**
 * The WebGL2 backend: every kernel of a plan is one fragment shader drawn over its output
 * texture (one fragment per output element), expression kernels rendered from `RENDER_GLSL`
 * and matmul/convolution/pooling from hand-written GLSL with their epilogues inlined. float32
 * buffers are R32F textures, int32 and bool R32I; shader programs are compiled once per
 * source and shared by the backend's executables. `inPlace` is false: a shader cannot render
 * into a texture it samples, so the memory planner must not ask for in-place writes.
 */
export const webglBackend = (opts: WebGLBackendOptions = {}): WebGLBackend => {
  const gl = createContext(opts.canvas);
  const maxSize = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
  const maxWidth = opts.maxTextureWidth ?? Math.min(4096, maxSize);
  if (!Number.isInteger(maxWidth) || maxWidth < 1 || maxWidth > maxSize)
    throw new LoomError(
      "invalid_argument",
      "webglBackend",
      `maxTextureWidth must be an integer in [1, ${maxSize}] (this GPU's maximum texture size), got ${maxWidth}`,
    );
  const programs = new ProgramCache(gl);
  let disposed = false;
  const executables = new Set<Executable>();
  const cache = executableCache();
  const forceRgbaReads = opts.forceRgbaReads ?? false;
  const store = residentStore({ gl, maxWidth, maxHeight: maxSize, forceRgbaReads });
  const gpu: GpuState = {
    gl,
    programs,
    vao: gl.createVertexArray(),
    maxWidth,
    maxHeight: maxSize,
    maxSamplers: gl.getParameter(gl.MAX_TEXTURE_IMAGE_UNITS) as number,
    reuseTextures: opts.reuseTextures ?? true,
    forceRgbaReads,
    tiling: opts.tiling ?? "auto",
    profile: opts.profile,
    disposed: () => disposed,
    store,
  };
  const compile = (plan: Plan): Executable => {
    if (disposed)
      throw new LoomError(
        "invalid_argument",
        "webgl",
        "this backend was disposed; create a new webglBackend() to compile again",
      );
    const exe = compileExecutable(gpu, plan);
    const tracked: Executable = {
      run: exe.run,
      runResident: exe.runResident,
      dispose: () => {
        executables.delete(tracked);
        exe.dispose();
      },
    };
    executables.add(tracked);
    return tracked;
  };
  const dispose = () => {
    if (disposed) return;
    cache.clear();
    for (const e of [...executables]) e.dispose();
    programs.dispose();
    store.dispose();
    gl.deleteVertexArray(gpu.vao);
    disposed = true;
    // A context of our own is released now rather than when the garbage collector finds it:
    // browsers cap the number of live WebGL contexts.
    if (opts.canvas === undefined) gl.getExtension("WEBGL_lose_context")?.loseContext();
  };
  return {
    name: "webgl",
    inPlace: false,
    compile,
    upload: (t) => {
      if (disposed)
        throw new LoomError(
          "invalid_argument",
          "webgl",
          "this backend was disposed; create a new webglBackend() to upload again",
        );
      return store.upload(t);
    },
    executables: cache,
    dispose,
    renderer: rendererOf(gl),
  };
};
