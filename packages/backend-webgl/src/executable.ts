import type { BufferInfo, Executable, HostTensor, Kernel, Plan } from "@loom/graph";
import { castNumber, checkFeeds, formatShape, LoomError, numel } from "@loom/graph";
import { checkGl, contextLost } from "./context";
import { planShaders } from "./kernel-source";
import type { ProgramCache } from "./programs";
import {
  createTexture,
  formatOf,
  readFormatOf,
  textureLayout,
  uploadArray,
  uploadTexture,
} from "./texture";
import { splitWideKernels } from "./split-wide-kernels";
import { finishReads, gpuDone, outputRead, startReads } from "./readback";
import { assignTextures, kernelReads } from "./texture-pool";
import type { TilingLimits } from "./kernels/tiled";
import { ScratchPool } from "./scratch";

/** What the backend shares with its executables. */
export interface GpuState {
  readonly gl: WebGL2RenderingContext;
  readonly programs: ProgramCache;
  readonly vao: WebGLVertexArrayObject;
  readonly maxWidth: number;
  readonly maxHeight: number;
  readonly maxSamplers: number;
  readonly reuseTextures: boolean;
  readonly forceRgbaReads: boolean;
  readonly tiling: TilingLimits["mode"];
  readonly profile: number[] | undefined;
  readonly disposed: () => boolean;
}

/** One draw: its program, the textures bound to units 0.., the framebuffer and viewport, and the plan kernel it belongs to. */
interface Draw {
  readonly kernel: number;
  readonly integer: boolean;
  readonly program: WebGLProgram;
  readonly textures: readonly WebGLTexture[];
  readonly fbo: WebGLFramebuffer;
  readonly width: number;
  readonly height: number;
}

const labelOf = (k: Kernel, i: number) => ({
  op: k.kind === "library" ? k.call.kind : "kernel",
  what: `kernel ${i} (${k.kind === "library" ? k.call.kind : "fused expression"}, graph nodes ${k.nodes.join(",")})`,
});

/** Refuses plans the GPU cannot run, before anything is allocated. */
const checkPlan = (plan: Plan): void => {
  const f64 = plan.buffers.find((b) => b.dtype === "float64");
  if (f64 !== undefined)
    throw new LoomError(
      "unsupported",
      "webgl",
      `buffer ${f64.id} is float64${formatShape(f64.shape)}: WebGL2 computes in float32 only; use the CPU backend (cpuBackend()) for float64, e.g. gradient checks`,
      [f64.shape],
    );
  plan.kernels.forEach((k, i) => {
    if (kernelReads(k).includes(k.out))
      throw new LoomError(
        "invalid_graph",
        labelOf(k, i).op,
        `${labelOf(k, i).what} reads the buffer it writes (buffer ${k.out}); WebGL cannot render into a texture it samples: compile with inPlace: false`,
      );
  });
};

/**
 * Compiles a plan for WebGL: one texture per live buffer (see `assignTextures`), constants
 * uploaded once, one program per kernel (from the backend's cache) and one framebuffer per
 * rendered or read texture, all checked now. `run` uploads the feeds, draws every kernel in
 * order and reads the outputs back.
 */
export const compileExecutable = (gpu: GpuState, given: Plan): Executable => {
  const { gl } = gpu;
  if (gl.isContextLost()) throw contextLost("before compiling");
  checkPlan(given);
  const plan = splitWideKernels(given, gpu.maxSamplers);
  const layouts = plan.buffers.map((b) =>
    textureLayout(numel(b.shape), gpu.maxWidth, gpu.maxHeight),
  );
  const formats = plan.buffers.map((b) => formatOf(gl, b.dtype));
  const keyOf = (b: BufferInfo) =>
    `${formats[b.id]!.internal}:${layouts[b.id]!.width}x${layouts[b.id]!.height}`;
  const assignment = assignTextures(plan, keyOf, gpu.reuseTextures);
  const textures = assignment.textures.map(({ buffers }) =>
    createTexture(gl, layouts[buffers[0]!]!, formats[buffers[0]!]!),
  );
  const texOf = (b: number) => textures[assignment.textureOf[b]!]!;
  const fbos = new Map<WebGLTexture, WebGLFramebuffer>();
  const fboOf = (b: number): WebGLFramebuffer => {
    const tex = texOf(b);
    let fbo = fbos.get(tex);
    if (fbo === undefined) {
      fbo = gl.createFramebuffer();
      gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
      const status = gl.checkFramebufferStatus(gl.FRAMEBUFFER);
      if (status !== gl.FRAMEBUFFER_COMPLETE)
        throw new LoomError(
          "unsupported",
          "webgl",
          `this GPU cannot render into a ${plan.buffers[b]!.dtype} texture of ${layouts[b]!.width}x${layouts[b]!.height} (framebuffer status 0x${status.toString(16)}); use the CPU backend`,
        );
      fbos.set(tex, fbo);
    }
    return fbo;
  };
  const pool = new ScratchPool(gl);
  const pbos: WebGLBuffer[] = [];
  let alive = true;
  const dispose = () => {
    alive = false;
    pool.dispose();
    for (const b of pbos) gl.deleteBuffer(b);
    pbos.length = 0;
    for (const f of fbos.values()) gl.deleteFramebuffer(f);
    for (const t of textures) gl.deleteTexture(t);
    fbos.clear();
    textures.length = 0;
  };
  try {
    for (const b of plan.buffers) {
      if (b.kind !== "constant") continue;
      const n = layouts[b.id]!.n;
      const d = b.data!;
      const values = Array.from({ length: n }, (_, i) =>
        castNumber(d.length === 1 ? d[0]! : d[i]!, "float64", b.dtype),
      );
      uploadTexture(
        gl,
        texOf(b.id),
        layouts[b.id]!,
        formats[b.id]!,
        uploadArray(b.dtype, values, undefined),
      );
    }
    const limits = { maxSize: gpu.maxHeight, maxSamplers: gpu.maxSamplers, mode: gpu.tiling };
    const shaders = planShaders(plan, layouts, limits);
    const sources = shaders.flatMap((sh, i) => [
      ...(sh.tiled?.passes ?? []).map((p) => ({
        source: p.source,
        samplers: p.reads.length,
        label: labelOf(plan.kernels[i]!, i),
      })),
      { source: sh.frame, samplers: sh.samplers, label: labelOf(plan.kernels[i]!, i) },
    ]);
    const programs = gpu.programs.programsFor(sources);
    let next = 0;
    const draws: Draw[] = plan.kernels.flatMap((k, i) => {
      const { tiled } = shaders[i]!;
      const reads = kernelReads(k).map(texOf);
      const own = tiled === undefined ? [] : pool.texturesFor(tiled.scratch);
      const passes = (tiled?.passes ?? []).map((p) => ({
        kernel: i,
        integer: false,
        program: programs[next++]!.program,
        textures: p.reads.map((r) => (r.kind === "input" ? reads[r.index]! : own[r.index]!)),
        fbo: pool.framebuffer(p.writes.map((w) => own[w]!)),
        width: tiled!.scratch[p.writes[0]!]!.width,
        height: tiled!.scratch[p.writes[0]!]!.height,
      }));
      const frame: Draw = {
        kernel: i,
        integer: formats[k.out]!.integer,
        program: programs[next++]!.program,
        textures: [...reads, ...(tiled?.frameScratch ?? []).map((s) => own[s]!)],
        fbo: fboOf(k.out),
        width: layouts[k.out]!.width,
        height: layouts[k.out]!.height,
      };
      return [...passes, frame];
    });
    const outputs = Object.entries(plan.outputs).map(([name, id]) => {
      const fbo = fboOf(id);
      gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
      const read = readFormatOf(gl, formats[id]!, gpu.forceRgbaReads);
      const r = outputRead(gl, { name, info: plan.buffers[id]!, layout: layouts[id]!, fbo, read });
      pbos.push(r.pbo);
      return r;
    });
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    checkGl(gl, "while allocating textures and compiling kernels");
    const inputs = Object.entries(plan.inputs);
    const scratch = new Map<number, Float32Array | Int32Array>();

    const checkAlive = () => {
      if (gpu.disposed() || !alive)
        throw new LoomError(
          "invalid_argument",
          "run",
          "this WebGL executable (or its backend) was disposed; compile the function again",
        );
    };
    const run = async (
      feeds: Readonly<Record<string, HostTensor>>,
    ): Promise<Record<string, HostTensor>> => {
      checkAlive();
      if (gl.isContextLost()) throw contextLost("before running");
      checkFeeds(plan, feeds);
      for (const [name, id] of inputs) {
        const b = plan.buffers[id]!;
        const data = uploadArray(b.dtype, feeds[name]!.data, scratch.get(id));
        if (data !== feeds[name]!.data) scratch.set(id, data);
        uploadTexture(gl, texOf(id), layouts[id]!, formats[id]!, data);
      }
      gl.bindVertexArray(gpu.vao);
      const prof = gpu.profile;
      draws.forEach((d) => {
        const t0 = prof === undefined ? 0 : performance.now();
        gl.bindFramebuffer(gl.FRAMEBUFFER, d.fbo);
        gl.viewport(0, 0, d.width, d.height);
        gl.useProgram(d.program);
        d.textures.forEach((t, unit) => {
          gl.activeTexture(gl.TEXTURE0 + unit);
          gl.bindTexture(gl.TEXTURE_2D, t);
        });
        gl.drawArrays(gl.TRIANGLES, 0, 3);
        if (prof !== undefined) {
          waitForGpu(gl, d.integer);
          prof[d.kernel] = (prof[d.kernel] ?? 0) + performance.now() - t0;
        }
      });
      startReads(gl, outputs);
      await gpuDone(gl);
      checkAlive();
      const result = finishReads(gl, outputs);
      checkGl(gl, "while running the kernels");
      return result;
    };
    // Runs share the textures: each starts when the one before has been read back.
    let queue: Promise<unknown> = Promise.resolve();
    const serial = (feeds: Readonly<Record<string, HostTensor>>) => {
      const next = queue.then(() => run(feeds));
      queue = next.catch(() => undefined);
      return next;
    };
    return { run: serial, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
};

/** Blocks until the GPU has finished the draws so far: a one-texel read of the bound framebuffer. */
const waitForGpu = (gl: WebGL2RenderingContext, integer: boolean): void => {
  if (integer) gl.readPixels(0, 0, 1, 1, gl.RGBA_INTEGER, gl.INT, new Int32Array(4));
  else gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, new Float32Array(4));
};
