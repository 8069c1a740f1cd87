import type { DType } from "@loom/graph";
import { glslInt, glslType } from "./render-glsl";
import type { TextureLayout } from "./texture";
import { texelOf } from "./texture";

/** A texture a shader reads or writes: its dtype and layout. */
export interface ShaderBuffer {
  readonly dtype: DType;
  readonly layout: TextureLayout;
}

/** The vertex shader of every kernel: one triangle covering the viewport, with no vertex buffers. */
export const VERTEX_SHADER = `#version 300 es
void main() {
  gl_Position = vec4(float((gl_VertexID & 1) << 2) - 1.0, float((gl_VertexID & 2) << 1) - 1.0, 0.0, 1.0);
}`;

/** The precision lines every fragment shader starts with. */
export const SHADER_HEADER = [
  "#version 300 es",
  "precision highp float;",
  "precision highp int;",
  "precision highp sampler2D;",
  "precision highp isampler2D;",
];

/** GLSL `ldK(int i)`: input K's element at flat index i, as a value of its dtype. */
export const loader = (k: number, b: ShaderBuffer): string => {
  const texel = `texelFetch(u${glslInt(k)}, ${texelOf(b.layout, "i")}, 0).r`;
  const value = b.dtype === "bool" ? `${texel} != 0` : texel;
  return `${glslType(b.dtype)} ld${glslInt(k)}(int i) { return ${value}; }`;
};

/** The sampler declaration of unit k for a buffer of `dtype` (RGBA32F scratch textures are float). */
export const samplerDecl = (k: number, dtype: DType): string =>
  `uniform ${dtype === "float32" ? "sampler2D" : "isampler2D"} u${glslInt(k)};`;
