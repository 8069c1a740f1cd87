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

/**
 * Compiles and links the fragment shaders of kernels, once per source: programs are shared by
 * every executable of a backend (a training step and an evaluation step share most of their
 * kernels). New programs are all compiled and linked before any status is asked, so a driver
 * with parallel shader compilation overlaps them; a failure is a LoomError naming the kernel
 * with the driver's log and the offending lines, never a GL error left to the next draw.
 */
export class ProgramCache {
  private readonly programs = new Map<string, KernelProgram>();
  private vertex: WebGLShader | undefined;

  constructor(private readonly gl: WebGL2RenderingContext) {}

  /** The programs of `sources` (in order), compiling the ones not cached yet. */
  programsFor(
    sources: readonly { source: string; samplers: number; label: ShaderLabel }[],
  ): KernelProgram[] {
    const gl = this.gl;
    const vertex = this.vertexShader();
    const pending = new Map<string, { program: WebGLProgram; shader: WebGLShader; i: number }>();
    sources.forEach(({ source }, i) => {
      if (this.programs.has(source) || pending.has(source)) return;
      const shader = gl.createShader(gl.FRAGMENT_SHADER)!;
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      const program = gl.createProgram()!;
      gl.attachShader(program, vertex);
      gl.attachShader(program, shader);
      gl.linkProgram(program);
      pending.set(source, { program, shader, i });
    });
    let failure: LoomError | undefined;
    for (const [source, { program, shader, i }] of pending) {
      const { samplers, label } = sources[i]!;
      if (failure === undefined && !gl.getProgramParameter(program, gl.LINK_STATUS)) {
        const compiled = gl.getShaderParameter(shader, gl.COMPILE_STATUS) as boolean;
        const log = (compiled ? gl.getProgramInfoLog(program) : gl.getShaderInfoLog(shader)) ?? "";
        failure = this.failure(label, compiled ? "link" : "compile", log, source);
      }
      gl.deleteShader(shader);
      if (failure !== undefined) {
        gl.deleteProgram(program);
        continue;
      }
      gl.useProgram(program);
      for (let k = 0; k < samplers; k++) gl.uniform1i(gl.getUniformLocation(program, `u${k}`), k);
      this.programs.set(source, { program, samplers });
    }
    if (failure !== undefined) throw failure;
    return sources.map(({ source }) => this.programs.get(source)!);
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
    this.programs.clear();
    if (this.vertex !== undefined) this.gl.deleteShader(this.vertex);
    this.vertex = undefined;
  }

  /** How many programs are cached (for tests of the cache). */
  get size(): number {
    return this.programs.size;
  }
}
