import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import { texelOf, textureLayout } from "./texture";

/** Evaluates a rendered `ivec2(x, y)` for a flat index, as GLSL would on non-negative ints. */
const evalTexel = (glsl: string, i: number): [number, number] => {
  const js = glsl
    .replace(/^ivec2/, "")
    .replace(/\bi\b/g, String(i))
    .replace(/(\d+) \/ (\d+)/g, "Math.floor($1 / $2)");
  return new Function(`return [${js.slice(1, -1)}];`)() as [number, number];
};

describe("texture layouts", () => {
  it("lay n elements in rows of at most maxWidth texels", () => {
    expect(textureLayout(0, 4096, 8192)).toEqual({ n: 0, width: 1, height: 1 });
    expect(textureLayout(5, 4096, 8192)).toEqual({ n: 5, width: 5, height: 1 });
    expect(textureLayout(4096, 4096, 8192)).toEqual({ n: 4096, width: 4096, height: 1 });
    expect(textureLayout(4097, 4096, 8192)).toEqual({ n: 4097, width: 4096, height: 2 });
    expect(textureLayout(100, 7, 8192)).toEqual({ n: 100, width: 7, height: 15 });
  });

  it("refuse buffers taller than the GPU allows", () => {
    expect(() => textureLayout(4096 * 8192 + 1, 4096, 8192)).toThrow(LoomError);
    expect(() => textureLayout(4096 * 8192 + 1, 4096, 8192)).toThrow(/CPU backend/);
  });

  it.each([
    [5, 4096],
    [100, 8],
    [100, 7],
    [10000, 4096],
  ])("address element i at (i %% width, i / width): n=%i, maxWidth=%i", (n, maxWidth) => {
    const layout = textureLayout(n, maxWidth, 8192);
    const glsl = texelOf(layout, "i");
    for (const i of [0, 1, layout.width - 1, layout.width, n - 1]) {
      if (i < 0 || i >= n) continue;
      expect(evalTexel(glsl, i)).toEqual([i % layout.width, Math.floor(i / layout.width)]);
    }
  });
});
