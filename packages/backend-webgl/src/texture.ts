import type { DType, TypedArray } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { glslInt } from "./render-glsl";

/**
 * Where a buffer's elements live in its texture: element `i` is texel `(i % width, i / width)`
 * of a single-channel texture `width` texels wide (at most the backend's maximum width) with
 * as many rows as needed; the last row may be partly unused.
 */
export interface TextureLayout {
  readonly n: number;
  readonly width: number;
  readonly height: number;
}

/** The layout of `n` elements in rows of at most `maxWidth` texels (an empty buffer still gets one texel). */
export const textureLayout = (n: number, maxWidth: number, maxHeight: number): TextureLayout => {
  const width = Math.max(1, Math.min(n, maxWidth));
  const height = Math.max(1, Math.ceil(n / width));
  if (height > maxHeight)
    throw new LoomError(
      "unsupported",
      "webgl",
      `a buffer of ${n} elements needs ${height} texture rows of ${width} texels, more than this GPU's maximum of ${maxHeight}; use the CPU backend or a smaller batch`,
    );
  return { n, width, height };
};

/**
 * The GLSL `ivec2` texel of a flat element index `i` (a rendered int expression, evaluated
 * once): one row needs no division, and a power-of-two width needs only a mask and a shift.
 */
export const texelOf = (layout: TextureLayout, i: string): string => {
  const w = layout.width;
  if (layout.height === 1) return `ivec2(${i}, 0)`;
  if ((w & (w - 1)) === 0)
    return `ivec2(${i} & ${glslInt(w - 1)}, ${i} >> ${glslInt(Math.log2(w))})`;
  return `ivec2(${i} % ${glslInt(w)}, ${i} / ${glslInt(w)})`;
};

/**
 * How a dtype is stored: float32 in R32F, int32 and bool (as 0/1) in R32I. Integer textures
 * hold every int32 bit pattern exactly, where a float texture would round above 2^24.
 */
export interface TextureFormat {
  readonly internal: number;
  readonly format: number;
  readonly type: number;
  readonly sampler: "sampler2D" | "isampler2D";
  readonly integer: boolean;
}

/** The texture format of a GPU dtype. */
export const formatOf = (gl: WebGL2RenderingContext, dtype: DType): TextureFormat =>
  dtype === "float32"
    ? { internal: gl.R32F, format: gl.RED, type: gl.FLOAT, sampler: "sampler2D", integer: false }
    : {
        internal: gl.R32I,
        format: gl.RED_INTEGER,
        type: gl.INT,
        sampler: "isampler2D",
        integer: true,
      };

/** Allocates an immutable single-level texture, sampled with texelFetch only (NEAREST, so integer textures are complete). */
export const createTexture = (
  gl: WebGL2RenderingContext,
  layout: TextureLayout,
  format: TextureFormat,
): WebGLTexture => {
  const tex = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, tex);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  gl.texStorage2D(gl.TEXTURE_2D, 1, format.internal, layout.width, layout.height);
  return tex;
};

/**
 * Uploads `data` (Float32Array for R32F, Int32Array for R32I, `layout.n` values) into a
 * texture: the full rows in one call, the partial last row in another, with no staging copy.
 */
export const uploadTexture = (
  gl: WebGL2RenderingContext,
  tex: WebGLTexture,
  layout: TextureLayout,
  format: TextureFormat,
  data: Float32Array | Int32Array,
): void => {
  if (layout.n === 0) return;
  gl.bindTexture(gl.TEXTURE_2D, tex);
  const full = Math.floor(layout.n / layout.width);
  const rest = layout.n - full * layout.width;
  if (full > 0)
    gl.texSubImage2D(
      gl.TEXTURE_2D,
      0,
      0,
      0,
      layout.width,
      full,
      format.format,
      format.type,
      data,
      0,
    );
  if (rest > 0)
    gl.texSubImage2D(
      gl.TEXTURE_2D,
      0,
      0,
      full,
      rest,
      1,
      format.format,
      format.type,
      data,
      full * layout.width,
    );
};

/**
 * How pixels are read back from a framebuffer of one texture format. `RED` (and
 * `RED_INTEGER`) reads write straight into the result; WebGL only guarantees `RGBA`
 * (`RGBA_INTEGER`) reads, which go through a staging array four times as long.
 */
export interface ReadFormat {
  readonly format: number;
  readonly type: number;
  readonly channels: 1 | 4;
}

/**
 * The read format for the bound read framebuffer: a single-channel read when the
 * implementation offers one (IMPLEMENTATION_COLOR_READ_FORMAT), else the guaranteed RGBA one.
 */
export const readFormatOf = (
  gl: WebGL2RenderingContext,
  format: TextureFormat,
  forceRgba: boolean,
): ReadFormat => {
  const rgba: ReadFormat = {
    format: format.integer ? gl.RGBA_INTEGER : gl.RGBA,
    type: format.type,
    channels: 4,
  };
  if (forceRgba) return rgba;
  const f = gl.getParameter(gl.IMPLEMENTATION_COLOR_READ_FORMAT) as number;
  const t = gl.getParameter(gl.IMPLEMENTATION_COLOR_READ_TYPE) as number;
  return f === format.format && t === format.type ? { format: f, type: t, channels: 1 } : rgba;
};

/** The values of host data as the array a texture of `dtype` uploads (bools and other array classes are converted). */
export const uploadArray = (
  dtype: DType,
  data: TypedArray | readonly number[],
  scratch: Float32Array | Int32Array | undefined,
): Float32Array | Int32Array => {
  if (dtype === "float32" && data instanceof Float32Array) return data;
  if (dtype !== "float32" && data instanceof Int32Array) return data;
  const out =
    scratch ?? (dtype === "float32" ? new Float32Array(data.length) : new Int32Array(data.length));
  if (dtype === "bool") for (let i = 0; i < data.length; i++) out[i] = data[i] ? 1 : 0;
  else out.set(data);
  return out;
};
