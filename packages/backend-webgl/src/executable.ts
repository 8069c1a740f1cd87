import type {
  BufferInfo,
  DeviceTensor,
  Executable,
  HostTensor,
  Kernel,
  Plan,
  RunValue,
} from "@loom/graph";
import { castNumber, checkFeeds, formatShape, isDeviceTensor, LoomError, numel } from "@loom/graph";
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
import type { ResidentStore } from "./resident";
import { copyTexture } from "./resident";

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
  /** The backend's device tensors (and the pool refilling output slots handed to callers). */
  readonly store: ResidentStore;
}

/**
 * One draw: its program, what is bound to units 0.. (a slot number: the texture of that slot in
 * this run; or a scratch texture), the framebuffer and viewport, and its plan kernel.
 */
interface Draw {
  readonly kernel: number;
  readonly integer: boolean;
  /** Its program's index in the executable's list. */
  readonly program: number;
  readonly textures: readonly (number | WebGLTexture)[];
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
  // Slot textures: an output's texture handed to a caller (a resident run) leaves its slot,
  // which is refilled from the store's pool before the next run (`vacant`).
  const textures: (WebGLTexture | undefined)[] = assignment.textures.map(({ buffers }) =>
    createTexture(gl, layouts[buffers[0]!]!, formats[buffers[0]!]!),
  );
  const slotOf = (b: number) => assignment.textureOf[b]!;
  const texOf = (b: number) => textures[slotOf(b)]!;
  const fbos = new Map<number, WebGLFramebuffer>();
  const attach = (fbo: WebGLFramebuffer, tex: WebGLTexture) => {
    gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
  };
  const fboOf = (b: number): WebGLFramebuffer => {
    let fbo = fbos.get(slotOf(b));
    if (fbo === undefined) {
      fbo = gl.createFramebuffer();
      attach(fbo, texOf(b));
      const status = gl.checkFramebufferStatus(gl.FRAMEBUFFER);
      if (status !== gl.FRAMEBUFFER_COMPLETE)
        throw new LoomError(
          "unsupported",
          "webgl",
          `this GPU cannot render into a ${plan.buffers[b]!.dtype} texture of ${layouts[b]!.width}x${layouts[b]!.height} (framebuffer status 0x${status.toString(16)}); use the CPU backend`,
        );
      fbos.set(slotOf(b), fbo);
    }
    return fbo;
  };
  const vacant = new Set<number>();
  const refill = () => {
    for (const slot of vacant) {
      const b = assignment.textures[slot]!.buffers[0]!;
      textures[slot] = gpu.store.take(layouts[b]!, formats[b]!);
      const fbo = fbos.get(slot);
      if (fbo !== undefined) attach(fbo, textures[slot]);
    }
    vacant.clear();
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
    textures.forEach((t, slot) => {
      if (!vacant.has(slot)) gl.deleteTexture(t!);
    });
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
    let next = 0;
    const draws: Draw[] = plan.kernels.flatMap((k, i) => {
      const { tiled } = shaders[i]!;
      const reads = kernelReads(k).map(slotOf);
      const own = tiled === undefined ? [] : pool.texturesFor(tiled.scratch);
      const passes = (tiled?.passes ?? []).map((p) => ({
        kernel: i,
        integer: false,
        program: next++,
        textures: p.reads.map((r) => (r.kind === "input" ? reads[r.index]! : own[r.index]!)),
        fbo: pool.framebuffer(p.writes.map((w) => own[w]!)),
        width: tiled!.scratch[p.writes[0]!]!.width,
        height: tiled!.scratch[p.writes[0]!]!.height,
      }));
      const frame: Draw = {
        kernel: i,
        integer: formats[k.out]!.integer,
        program: next++,
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
    checkGl(gl, "while allocating textures");
    // Compiles and links are only issued here, after the last query that waits for the GPU
    // process; their status is asked before the first draw (see ProgramCache.ready).
    const programs = gpu.programs.start(sources).map((p) => p.program);
    let linked: Promise<void> | undefined;
    const whenLinked = () => (linked ??= gpu.programs.ready(programs));
    const inputs = Object.entries(plan.inputs);
    const scratch = new Map<number, Float32Array | Int32Array>();
    const written = new Set(plan.kernels.map((k) => k.out));
    // The texture each slot is read from in this run: a fed device tensor's, or the slot's own.
    const current: WebGLTexture[] = [];

    const checkAlive = () => {
      if (gpu.disposed() || !alive)
        throw new LoomError(
          "invalid_argument",
          "run",
          "this WebGL executable (or its backend) was disposed; compile the function again",
        );
    };
    /**
     * Uploads the host feeds and points the inputs fed device tensors at their textures (never
     * rendered into: inputs have slots of their own and nothing is written in place), then
     * draws every kernel.
     */
    const draw = (feeds: Readonly<Record<string, RunValue>>) => {
      checkAlive();
      if (gl.isContextLost()) throw contextLost("before running");
      checkFeeds(plan, feeds);
      refill();
      textures.forEach((t, slot) => (current[slot] = t!));
      for (const [name, id] of inputs) {
        const feed = feeds[name]!;
        if (isDeviceTensor(feed)) {
          current[slotOf(id)] = gpu.store.placement(feed, name).texture;
          continue;
        }
        const b = plan.buffers[id]!;
        const data = uploadArray(b.dtype, feed.data, scratch.get(id));
        if (data !== feed.data) scratch.set(id, data);
        uploadTexture(gl, texOf(id), layouts[id]!, formats[id]!, data);
      }
      gl.bindVertexArray(gpu.vao);
      const prof = gpu.profile;
      draws.forEach((d) => {
        const t0 = prof === undefined ? 0 : performance.now();
        gl.bindFramebuffer(gl.FRAMEBUFFER, d.fbo);
        gl.viewport(0, 0, d.width, d.height);
        gl.useProgram(programs[d.program]!);
        d.textures.forEach((t, unit) => {
          gl.activeTexture(gl.TEXTURE0 + unit);
          gl.bindTexture(gl.TEXTURE_2D, typeof t === "number" ? current[t]! : t);
        });
        gl.drawArrays(gl.TRIANGLES, 0, 3);
        if (prof !== undefined) {
          waitForGpu(gl, d.integer);
          prof[d.kernel] = (prof[d.kernel] ?? 0) + performance.now() - t0;
        }
      });
    };
    const run = async (
      feeds: Readonly<Record<string, HostTensor>>,
    ): Promise<Record<string, HostTensor>> => {
      await whenLinked();
      draw(feeds);
      startReads(gl, outputs);
      await gpuDone(gl);
      checkAlive();
      const result = finishReads(gl, outputs);
      checkGl(gl, "while running the kernels");
      return result;
    };
    /**
     * Draws and hands every output to the caller as a device tensor, reading nothing back: a
     * rendered output's texture leaves its slot (refilled before the next run, so no later
     * run renders into a texture the caller holds); an output no kernel writes (a fed input,
     * a constant) is copied into a texture of its own.
     */
    const runResident = (
      feeds: Readonly<Record<string, RunValue>>,
    ): Record<string, DeviceTensor> => {
      draw(feeds);
      const given = new Map<number, DeviceTensor>();
      const result = Object.fromEntries(
        Object.entries(plan.outputs).map(([name, id]) => {
          const b = plan.buffers[id]!;
          const first = given.get(id);
          if (first !== undefined) return [name, gpu.store.share(first)];
          let tex: WebGLTexture;
          if (written.has(id)) {
            tex = texOf(id);
            vacant.add(slotOf(id));
          } else {
            tex = gpu.store.take(layouts[id]!, formats[id]!);
            copyTexture(gl, current[slotOf(id)]!, tex, layouts[id]!);
          }
          const t = gpu.store.handle(tex, b.shape, b.dtype);
          given.set(id, t);
          return [name, t];
        }),
      );
      gl.flush();
      return result;
    };
    // Runs share the textures: each starts when the one before has been read back. A resident
    // run reads nothing back, so the next one may be queued on the GPU right behind it; its
    // device feeds are held (a second handle each) until it has been drawn, so a caller may
    // dispose them as soon as it has called.
    let queue: Promise<unknown> = Promise.resolve();
    const serial = (feeds: Readonly<Record<string, HostTensor>>) => {
      const next = queue.then(() => run(feeds));
      queue = next.catch(() => undefined);
      return next;
    };
    const serialResident = (feeds: Readonly<Record<string, RunValue>>) => {
      let held: Record<string, RunValue>;
      try {
        held = Object.fromEntries(
          Object.entries(feeds).map(([name, v]) => {
            if (!isDeviceTensor(v)) return [name, v];
            gpu.store.placement(v, name);
            return [name, gpu.store.share(v)];
          }),
        );
      } catch (e) {
        return Promise.reject(e as Error);
      }
      const next = queue
        .then(whenLinked)
        .then(() => runResident(held))
        .finally(() => {
          for (const v of Object.values(held)) if (isDeviceTensor(v)) v.dispose();
        });
      queue = next.catch(() => undefined);
      return next;
    };
    return { run: serial, runResident: serialResident, dispose };
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
