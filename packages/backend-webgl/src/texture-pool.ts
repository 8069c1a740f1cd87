import type { BufferInfo, Plan } from "@loom/graph";

/** Which texture holds each buffer: `textureOf[bufferId]` indexes `textures`. */
export interface TextureAssignment {
  readonly textureOf: readonly number[];
  /** Each texture's key (format and size) and the buffers it holds, in kernel order. */
  readonly textures: readonly { readonly key: string; readonly buffers: readonly number[] }[];
}

/** The buffers a kernel reads (its inputs and its epilogue's). */
export const kernelReads = (k: Plan["kernels"][number]): readonly number[] =>
  k.kind === "library" && k.epilogue !== undefined ? [...k.inputs, ...k.epilogue.inputs] : k.inputs;

/**
 * Gives every buffer a texture, reusing the texture of a dead temporary for a later temporary
 * of the same key (format and texture size). The memory planner's byte offsets mean nothing
 * to textures, so this is the WebGL counterpart of its placement: liveness over the kernel
 * order, without in-place writes. A kernel's output texture is taken before the textures of
 * the inputs dying at that kernel are released, so no kernel reads the texture it renders
 * to. Inputs, constants and outputs get textures of their own (feeds are uploaded into them,
 * outputs are read back after the last kernel).
 */
export const assignTextures = (
  plan: Plan,
  keyOf: (b: BufferInfo) => string,
  reuse = true,
): TextureAssignment => {
  const outputs = new Set(Object.values(plan.outputs));
  const lastRead = new Map<number, number>();
  const written = new Set<number>();
  plan.kernels.forEach((k, i) => {
    for (const b of kernelReads(k)) lastRead.set(b, i);
    written.add(k.out);
  });
  const pooled = (b: BufferInfo) =>
    reuse && b.kind === "temp" && !outputs.has(b.id) && written.has(b.id);
  const textureOf: number[] = plan.buffers.map(() => -1);
  const textures: { key: string; buffers: number[] }[] = [];
  const fresh = (b: BufferInfo) => {
    textureOf[b.id] = textures.length;
    textures.push({ key: keyOf(b), buffers: [b.id] });
  };
  for (const b of plan.buffers) if (!pooled(b)) fresh(b);
  const free = new Map<string, number[]>();
  const dying = new Map<number, number[]>();
  for (const [b, i] of lastRead)
    if (pooled(plan.buffers[b]!)) dying.set(i, [...(dying.get(i) ?? []), b]);
  plan.kernels.forEach((k, i) => {
    const out = plan.buffers[k.out]!;
    if (pooled(out) && textureOf[out.id] === -1) {
      const key = keyOf(out);
      const t = free.get(key)?.pop();
      if (t === undefined) fresh(out);
      else {
        textureOf[out.id] = t;
        textures[t]!.buffers.push(out.id);
      }
      // A temporary nobody reads dies where it is written.
      if (!lastRead.has(out.id)) dying.set(i, [...(dying.get(i) ?? []), out.id]);
    }
    for (const b of dying.get(i) ?? []) {
      if (textureOf[b] === -1) continue;
      const key = keyOf(plan.buffers[b]!);
      free.set(key, [...(free.get(key) ?? []), textureOf[b]!]);
    }
  });
  return { textureOf, textures };
};
