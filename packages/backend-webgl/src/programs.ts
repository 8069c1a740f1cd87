import { LoomError } from "@loom/graph";
import { VERTEX_SHADER } from "./shader-frame";

/** A linked kernel program, its sampler units set (sampler `uK` reads texture unit K). */
export interface KernelProgram {
  readonly program: WebGLProgram;
  readonly samplers: number;
}

/** What a shader is for, in error messages: `kernel 3 (matmul, nodes 12,13)`. */
export type ShaderLabel = { readonly op: string; readonly what: string };

/** The source lines a driver log points at (`ERROR: 0:LINE: ...`), numbered, for error messages. */
const excerpt = (source: string, log: string): string => {
  const lines = source.split("\n");
  const wanted = new Set([...log.matchAll(/\d+:(\d+):/g)].map((m) => Number(m[1])));
  const shown = [...wanted]
    .filter((n) => n >= 1 && n <= lines.length)
    .sort((a, b) => a - b)
    .slice(0, 5)
    .map((n) => `${n}: ${lines[n - 1]!.trim()}`);
  return shown.length > 0 ? `\n${shown.join("\n")}` : "";
};

/** A program whose link was started and whose status nobody has asked yet. */
interface Linking {
  readonly source: string;
  readonly shader: WebGLShader;
  readonly samplers: number;
  readonly label: ShaderLabel;
}

/** What a kernel's program is made of. */
export type ProgramSource = { source: string; samplers: number; label: ShaderLabel };

/**
 * Compiles and links the fragment shaders of kernels, once per source: programs are shared by
 * every executable of a backend (a training step and an evaluation step share most of their
 * kernels). `start` only issues the compiles and links; `ready` asks their status, after
 * polling `COMPLETION_STATUS_KHR` from the event loop where KHR_parallel_shader_compile is
 * offered, so the driver compiles them all in parallel while the page goes on (asking
 * LINK_STATUS right away would block until each is done). A failure is a LoomError naming
 * the kernel with the driver's log and the offending lines, never a GL error left to a draw.
 */
export class ProgramCache {
  private readonly programs = new Map<string, KernelProgram>();
  private readonly linking = new Map<WebGLProgram, Linking>();
  private vertex: WebGLShader | undefined;
  private readonly parallel: boolean;

  constructor(private readonly gl: WebGL2RenderingContext) {
    this.parallel = gl.getExtension("KHR_parallel_shader_compile") !== null;
  }

  /** The programs of `sources` (in order), issuing the compile and link of the ones not cached yet. */
  start(sources: readonly ProgramSource[]): KernelProgram[] {
    const gl = this.gl;
    const vertex = this.vertexShader();
    for (const { source, samplers, label } of sources) {
      if (this.programs.has(source)) continue;
      const shader = gl.createShader(gl.FRAGMENT_SHADER)!;
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      const program = gl.createProgram()!;
      gl.attachShader(program, vertex);
      gl.attachShader(program, shader);
      gl.linkProgram(program);
      this.linking.set(program, { source, shader, samplers, label });
      this.programs.set(source, { program, samplers });
    }
    return sources.map(({ source }) => this.programs.get(source)!);
  }

  /**
   * Resolves once every program of `programs` is linked (their samplers bound), polling the
   * driver without blocking where it compiles in parallel; rejects with the first failure.
   */
  async ready(programs: readonly WebGLProgram[]): Promise<void> {
    const KHR = 0x91b1; // COMPLETION_STATUS_KHR
    const waiting = () => programs.filter((p) => this.linking.has(p));
    for (let w = waiting(); this.parallel && w.length > 0; w = waiting()) {
      if (this.gl.isContextLost()) break;
      if (w.every((p) => this.gl.getProgramParameter(p, KHR) === true)) break;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    this.finish(waiting());
  }

  /** The programs of `sources`, compiled and linked now (blocking): `start` then a synchronous `ready`. */
  programsFor(sources: readonly ProgramSource[]): KernelProgram[] {
    const programs = this.start(sources);
    this.finish(programs.map((p) => p.program));
    return programs;
  }

  /** Asks the link status of programs (blocking until each is done) and binds their samplers. */
  private finish(programs: readonly WebGLProgram[]): void {
    const gl = this.gl;
    let failure: LoomError | undefined;
    for (const program of programs) {
      const l = this.linking.get(program);
      if (l === undefined) continue;
      this.linking.delete(program);
      if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
        const compiled = gl.getShaderParameter(l.shader, gl.COMPILE_STATUS) as boolean;
        const log =
          (compiled ? gl.getProgramInfoLog(program) : gl.getShaderInfoLog(l.shader)) ?? "";
        failure ??= this.failure(l.label, compiled ? "link" : "compile", log, l.source);
        // Dropped from the cache: a later compile of the same source tries again.
        gl.deleteShader(l.shader);
        this.programs.delete(l.source);
        gl.deleteProgram(program);
        continue;
      }
      gl.deleteShader(l.shader);
      gl.useProgram(program);
      for (let k = 0; k < l.samplers; k++) gl.uniform1i(gl.getUniformLocation(program, `u${k}`), k);
    }
    if (failure !== undefined) throw failure;
  }

  /** A compile or link failure as a LoomError. */
  private failure(label: ShaderLabel, stage: string, log: string, source: string): LoomError {
    const lost = this.gl.isContextLost();
    return new LoomError(
      "unsupported",
      label.op,
      lost
        ? `the WebGL context was lost while compiling ${label.what}; create a new webglBackend() or use the CPU backend`
        : `the GPU driver could not ${stage} the shader of ${label.what}: ${log.trim() || "(no log)"}${excerpt(source, log)}\n(this is a bug or a limit of the WebGL backend: report it with the plan (loom inspect), and use the CPU backend meanwhile)`,
    );
  }

  private vertexShader(): WebGLShader {
    if (this.vertex !== undefined) return this.vertex;
    const gl = this.gl;
    const v = gl.createShader(gl.VERTEX_SHADER)!;
    gl.shaderSource(v, VERTEX_SHADER);
    gl.compileShader(v);
    if (!gl.getShaderParameter(v, gl.COMPILE_STATUS))
      throw this.failure(
        { op: "webgl", what: "the vertex shader" },
        "compile",
        gl.getShaderInfoLog(v) ?? "",
        VERTEX_SHADER,
      );
    this.vertex = v;
    return v;
  }

  /** Deletes every program and the shared vertex shader. */
  dispose(): void {
    for (const p of this.programs.values()) this.gl.deleteProgram(p.program);
    for (const l of this.linking.values()) this.gl.deleteShader(l.shader);
    this.programs.clear();
    this.linking.clear();
    if (this.vertex !== undefined) this.gl.deleteShader(this.vertex);
    this.vertex = undefined;
  }

  /** How many programs are cached (for tests of the cache). */
  get size(): number {
    return this.programs.size;
  }
}
