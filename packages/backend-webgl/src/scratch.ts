import { LoomError } from "@loom/graph";
import type { ScratchTexture } from "./kernels/tiled";
import { createTexture } from "./texture";

/**
 * The RGBA32F textures tiled kernels render for themselves, owned by one executable. A
 * kernel's scratch is dead once its frame has run, so kernels share them: kernel after kernel
 * takes the textures of each size from the start of one list, growing it when a kernel needs
 * more of a size than any before.
 */
export class ScratchPool {
  private readonly bySize = new Map<string, WebGLTexture[]>();
  private readonly fbos: WebGLFramebuffer[] = [];

  constructor(private readonly gl: WebGL2RenderingContext) {}

  /** Textures for one kernel's scratch list (distinct within the kernel). */
  texturesFor(scratch: readonly ScratchTexture[]): WebGLTexture[] {
    const gl = this.gl;
    const taken = new Map<string, number>();
    return scratch.map((s) => {
      const key = `${s.width}x${s.height}`;
      const i = taken.get(key) ?? 0;
      taken.set(key, i + 1);
      const list = this.bySize.get(key) ?? [];
      this.bySize.set(key, list);
      if (list.length === i) {
        const format = {
          internal: gl.RGBA32F,
          format: gl.RGBA,
          type: gl.FLOAT,
          sampler: "sampler2D",
          integer: false,
        } as const;
        list.push(createTexture(gl, { n: s.width * s.height, ...s }, format));
      }
      return list[i]!;
    });
  }

  /** A framebuffer rendering into `targets` (color attachments 0.., all drawn: MRT). */
  framebuffer(targets: readonly WebGLTexture[]): WebGLFramebuffer {
    const gl = this.gl;
    const fbo = gl.createFramebuffer();
    this.fbos.push(fbo);
    gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
    targets.forEach((t, r) =>
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + r, gl.TEXTURE_2D, t, 0),
    );
    gl.drawBuffers(targets.map((_, r) => gl.COLOR_ATTACHMENT0 + r));
    const status = gl.checkFramebufferStatus(gl.FRAMEBUFFER);
    if (status !== gl.FRAMEBUFFER_COMPLETE)
      throw new LoomError(
        "unsupported",
        "webgl",
        `this GPU cannot render into ${targets.length} RGBA32F textures at once (framebuffer status 0x${status.toString(16)}); create the backend with tiling: "never", or use the CPU backend`,
      );
    return fbo;
  }

  /** Deletes every texture and framebuffer. */
  dispose(): void {
    for (const f of this.fbos) this.gl.deleteFramebuffer(f);
    for (const list of this.bySize.values()) for (const t of list) this.gl.deleteTexture(t);
    this.fbos.length = 0;
    this.bySize.clear();
  }
}
