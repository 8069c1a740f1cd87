import type { DeviceTensor, DType, HostTensor } from "@loom/graph";
import { disposedTensor, formatShape, LoomError, numel } from "@loom/graph";
import { checkGl, contextLost } from "./context";
import { finishReads, gpuDone, outputRead, startReads } from "./readback";
import type { TextureFormat, TextureLayout } from "./texture";
import * as tx from "./texture";

/** A texture held by device tensors: freed (into the store's pool) when the last handle lets go. */
interface Shared {
  readonly texture: WebGLTexture;
  readonly key: string;
  refs: number;
}

/** Where a device tensor's values are: its texture, layout and format. */
export interface Placement {
  readonly texture: WebGLTexture;
  readonly layout: TextureLayout;
  readonly format: TextureFormat;
}

/** What the store needs of the backend. */
export interface StoreGpu {
  readonly gl: WebGL2RenderingContext;
  readonly maxWidth: number;
  readonly maxHeight: number;
  readonly forceRgbaReads: boolean;
}

/**
 * The backend's device tensors: textures handed to callers, counted by the handles holding
 * them, and a pool of freed textures by key (format and size) from which executables refill
 * the output slots whose textures went to a caller. In a training loop the parameters of step
 * k are freed while step k+1 runs, and step k+2 renders into their textures: no allocation in
 * the steady state, and no texture a caller holds is ever rendered into.
 */
export interface ResidentStore {
  /** The layout and format of a tensor of this shape and dtype (as executables lay out buffers). */
  readonly placementOf: (
    shape: readonly number[],
    dtype: DType,
  ) => Omit<Placement, "texture"> & { key: string };
  /** A texture of this layout and format: a freed one of the same key, or a new one. */
  readonly take: (layout: TextureLayout, format: TextureFormat) => WebGLTexture;
  /** A new handle owning `texture` (just rendered or uploaded). */
  readonly handle: (texture: WebGLTexture, shape: readonly number[], dtype: DType) => DeviceTensor;
  /** Another handle on the texture of a live `t` (one output named twice; a feed held while its run is queued). */
  readonly share: (t: DeviceTensor) => DeviceTensor;
  /** Where a fed handle's values are; a LoomError for a disposed or foreign handle. */
  readonly placement: (t: DeviceTensor, name: string) => Placement;
  /** Uploads a host tensor into a texture of its own. */
  readonly upload: (t: HostTensor) => DeviceTensor;
  /** Deletes the pooled textures and every texture still held (the backend's dispose). */
  readonly dispose: () => void;
}

const keyOf = (layout: TextureLayout, format: TextureFormat) =>
  `${format.internal}:${layout.width}x${layout.height}`;

/** The device-tensor store of one WebGL backend. */
export const residentStore = (gpu: StoreGpu): ResidentStore => {
  const { gl } = gpu;
  const shared = new WeakMap<DeviceTensor, Shared>();
  const live = new Set<Shared>();
  const pool = new Map<string, WebGLTexture[]>();
  const placementOf = (shape: readonly number[], dtype: DType) => {
    const layout = tx.textureLayout(numel(shape), gpu.maxWidth, gpu.maxHeight);
    const format = tx.formatOf(gl, dtype);
    return { layout, format, key: keyOf(layout, format) };
  };
  const take = (layout: TextureLayout, format: TextureFormat) =>
    pool.get(keyOf(layout, format))?.pop() ?? tx.createTexture(gl, layout, format);
  const release = (s: Shared) => {
    if (--s.refs > 0) return;
    live.delete(s);
    pool.set(s.key, [...(pool.get(s.key) ?? []), s.texture]);
  };
  const read = async (s: Shared, shape: readonly number[], dtype: DType): Promise<HostTensor> => {
    if (gl.isContextLost()) throw contextLost("before reading a device tensor");
    const { layout, format } = placementOf(shape, dtype);
    const fbo = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, fbo);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, s.texture, 0);
    const info = { id: -1, shape, dtype, kind: "temp" as const };
    const r = outputRead(gl, {
      name: "t",
      info,
      layout,
      fbo,
      read: tx.readFormatOf(gl, format, gpu.forceRgbaReads),
    });
    // Queued now, so a later run that renders into this texture (after a dispose) comes after it.
    startReads(gl, [r]);
    try {
      await gpuDone(gl);
      const out = finishReads(gl, [r]).t!;
      checkGl(gl, "while reading a device tensor");
      return out;
    } finally {
      gl.deleteBuffer(r.pbo);
      gl.deleteFramebuffer(fbo);
    }
  };
  const wrap = (s: Shared, shape: readonly number[], dtype: DType): DeviceTensor => {
    let held = true;
    const t: DeviceTensor = {
      device: true,
      shape,
      dtype,
      backend: "webgl",
      read: () =>
        held
          ? read(s, shape, dtype)
          : Promise.reject(disposedTensor("read", `a webgl tensor ${formatShape(shape)}`)),
      dispose: () => {
        if (!held) return;
        held = false;
        shared.delete(t);
        release(s);
      },
      isDisposed: () => !held,
    };
    shared.set(t, s);
    return t;
  };
  const handle = (texture: WebGLTexture, shape: readonly number[], dtype: DType) => {
    const s: Shared = { texture, key: placementOf(shape, dtype).key, refs: 1 };
    live.add(s);
    return wrap(s, shape, dtype);
  };
  const placement = (t: DeviceTensor, name: string): Placement => {
    const s = shared.get(t);
    if (s === undefined)
      throw t.isDisposed()
        ? disposedTensor("run", `input "${name}"`)
        : new LoomError(
            "invalid_argument",
            "run",
            `input "${name}" is a device tensor of another backend (${t.backend}); read it to the host first (await t.read()) or upload it with this backend`,
            [t.shape],
          );
    return { texture: s.texture, ...placementOf(t.shape, t.dtype) };
  };
  return {
    placementOf,
    take,
    handle,
    share: (t) => {
      const s = shared.get(t)!;
      s.refs++;
      return wrap(s, t.shape, t.dtype);
    },
    placement,
    upload: (t) => {
      if (gl.isContextLost()) throw contextLost("before uploading a tensor");
      const { layout, format } = placementOf(t.shape, t.dtype);
      const texture = take(layout, format);
      tx.uploadTexture(gl, texture, layout, format, tx.uploadArray(t.dtype, t.data, undefined));
      return handle(texture, t.shape, t.dtype);
    },
    dispose: () => {
      for (const list of pool.values()) for (const tex of list) gl.deleteTexture(tex);
      for (const s of live) gl.deleteTexture(s.texture);
      pool.clear();
      live.clear();
    },
  };
};

/** Copies one texture into another of the same layout and format (a pass-through output). */
export const copyTexture = (
  gl: WebGL2RenderingContext,
  from: WebGLTexture,
  to: WebGLTexture,
  layout: TextureLayout,
): void => {
  const read = gl.createFramebuffer();
  const draw = gl.createFramebuffer();
  gl.bindFramebuffer(gl.READ_FRAMEBUFFER, read);
  gl.framebufferTexture2D(gl.READ_FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, from, 0);
  gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, draw);
  gl.framebufferTexture2D(gl.DRAW_FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, to, 0);
  gl.blitFramebuffer(
    0,
    0,
    layout.width,
    layout.height,
    0,
    0,
    layout.width,
    layout.height,
    gl.COLOR_BUFFER_BIT,
    gl.NEAREST,
  );
  gl.bindFramebuffer(gl.READ_FRAMEBUFFER, null);
  gl.bindFramebuffer(gl.DRAW_FRAMEBUFFER, null);
  gl.deleteFramebuffer(read);
  gl.deleteFramebuffer(draw);
};
