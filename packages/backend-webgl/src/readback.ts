import type { BufferInfo, HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { ReadFormat, TextureLayout } from "./texture";

/** An output read back through a pixel-pack buffer of its own, allocated once per executable. */
export interface OutputRead {
  readonly name: string;
  readonly info: BufferInfo;
  readonly layout: TextureLayout;
  readonly fbo: WebGLFramebuffer;
  readonly read: ReadFormat;
  readonly pbo: WebGLBuffer;
}

/** Allocates the pixel-pack buffer of one output (4 bytes per channel of every element). */
export const outputRead = (gl: WebGL2RenderingContext, r: Omit<OutputRead, "pbo">): OutputRead => {
  const pbo = gl.createBuffer();
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
  gl.bufferData(
    gl.PIXEL_PACK_BUFFER,
    Math.max(4, 4 * r.read.channels * r.layout.n),
    gl.STREAM_READ,
  );
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
  return { ...r, pbo };
};

/** Queues the reads of every output into its pixel-pack buffer: the GPU copies, nothing waits. */
export const startReads = (gl: WebGL2RenderingContext, reads: readonly OutputRead[]): void => {
  for (const { fbo, pbo, layout, read } of reads) {
    if (layout.n === 0) continue;
    gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
    gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
    const full = Math.floor(layout.n / layout.width);
    const rest = layout.n - full * layout.width;
    if (full > 0) gl.readPixels(0, 0, layout.width, full, read.format, read.type, 0);
    if (rest > 0)
      gl.readPixels(
        0,
        full,
        rest,
        1,
        read.format,
        read.type,
        4 * read.channels * full * layout.width,
      );
  }
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
  gl.bindFramebuffer(gl.FRAMEBUFFER, null);
};

/**
 * Resolves once the GPU has passed a fence set now, polling `clientWaitSync` with timeout 0
 * from the event loop: the page (or worker) never blocks on the GPU.
 */
export const gpuDone = (gl: WebGL2RenderingContext): Promise<void> => {
  const sync = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
  if (sync === null) return Promise.resolve();
  gl.flush();
  return new Promise((resolve, reject) => {
    const poll = () => {
      const status = gl.isContextLost() ? gl.WAIT_FAILED : gl.clientWaitSync(sync, 0, 0);
      if (status === gl.TIMEOUT_EXPIRED) {
        setTimeout(poll, 0);
        return;
      }
      gl.deleteSync(sync);
      if (status === gl.WAIT_FAILED)
        reject(
          new LoomError(
            "unsupported",
            "webgl",
            "waiting for the GPU failed (the context was lost?); create a new webglBackend() or use the CPU backend",
          ),
        );
      else resolve();
    };
    poll();
  });
};

/** Copies every output out of its pixel-pack buffer into a fresh array of its dtype (bools via int32). */
export const finishReads = (
  gl: WebGL2RenderingContext,
  reads: readonly OutputRead[],
): Record<string, HostTensor> => {
  // Built with fromEntries: an output named "__proto__" is an own property, not a prototype.
  const result = Object.fromEntries(
    reads.map(({ name, info, layout, read, pbo }) => {
      const float = info.dtype === "float32";
      const n = layout.n * read.channels;
      const raw = float ? new Float32Array(n) : new Int32Array(n);
      if (n > 0) {
        gl.bindBuffer(gl.PIXEL_PACK_BUFFER, pbo);
        gl.getBufferSubData(gl.PIXEL_PACK_BUFFER, 0, raw);
      }
      const values =
        read.channels === 1 ? raw : raw.filter((_, i) => i % 4 === 0).subarray(0, layout.n);
      const data =
        info.dtype === "bool" ? Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0)) : values;
      return [name, { data, shape: info.shape, dtype: info.dtype }];
    }),
  );
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
  return result;
};
