import type { LibraryCall, LibraryCalls, LibraryKind } from "@loom/graph";
import type { ShaderBuffer } from "../shader-frame";
import { SHADER_HEADER } from "../shader-frame";
import type { GlslLibraryArgs } from "./kernel";

/** An RGBA32F texture a tiled library kernel renders for itself (packed operands, partial products). */
export interface ScratchTexture {
  readonly width: number;
  readonly height: number;
}

/** What a pass samples at one texture unit: one of the kernel's own inputs, or one of its scratch textures. */
export type PassRead =
  | { readonly kind: "input"; readonly index: number }
  | { readonly kind: "scratch"; readonly index: number };

/** One draw before a tiled kernel's frame: a complete fragment shader writing scratch textures (several: MRT). */
export interface Prepass {
  readonly source: string;
  readonly reads: readonly PassRead[];
  readonly writes: readonly number[];
}

/**
 * A library kernel run as several draws: `passes` fill the `scratch` textures in order, then
 * the usual frame (epilogue, store into the output's texture) runs `functions`, whose
 * `lib(pos)` reads scratch texture `frameScratch[r]` through sampler unit `reads + r` (after
 * the kernel's own inputs and its epilogue's).
 */
export interface TiledKernel {
  readonly scratch: readonly ScratchTexture[];
  readonly passes: readonly Prepass[];
  readonly frameScratch: readonly number[];
  readonly functions: string;
}

/** The GPU's limits a tiled kernel must fit, and when tiling pays (see `WebGLBackendOptions.tiling`). */
export interface TilingLimits {
  readonly maxSize: number;
  readonly maxSamplers: number;
  readonly mode: "auto" | "always" | "never";
}

/** What a tiled generator sees beyond the library arguments: the buffers of the op's own inputs and the units the frame already uses. */
export interface TiledArgs<C extends LibraryCall = LibraryCall> extends GlslLibraryArgs<C> {
  readonly inputs: readonly ShaderBuffer[];
  readonly frameUnits: number;
  readonly limits: TilingLimits;
}

/** A tiled library kernel generator: undefined when the call does not fit the GPU's limits or would not gain. */
export type TiledGenerator<C extends LibraryCall = LibraryCall> = (
  args: TiledArgs<C>,
) => TiledKernel | undefined;

/** The tiled generators, for the call kinds that have one. */
export type TiledGenerators = {
  readonly [K in LibraryKind]?: TiledGenerator<LibraryCalls[K]>;
};

/** The GLSL of a prepass: header, float samplers u0.., `outs` RGBA outputs o0.., `functions`, and `main` running `body` with `c` its texel. */
export const passShader = (
  samplers: number,
  outs: number,
  functions: string,
  body: string,
): string =>
  [
    ...SHADER_HEADER,
    ...Array.from({ length: samplers }, (_, k) => `uniform sampler2D u${k};`),
    ...Array.from({ length: outs }, (_, r) => `layout(location = ${r}) out vec4 o${r};`),
    functions,
    "void main() {",
    "  ivec2 c = ivec2(gl_FragCoord.xy);",
    body,
    "}",
  ]
    .filter((l) => l !== "")
    .join("\n");
