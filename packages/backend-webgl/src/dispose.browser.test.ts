import { describe, expect, it } from "vitest";
import type { Tensor } from "@loom/ops";
import { compile, exp, hostTensor, matmul, sum } from "@loom/ops";
import { webglBackend } from "./webgl-backend";

// dispose() really frees: the live textures and programs of a context return to where they
// were before compiling, after a compiled function's dispose and after the backend's.

/** Counts the live textures and programs of a context by wrapping its create/delete calls. */
const countLive = (gl: WebGL2RenderingContext) => {
  const live = { textures: 0, programs: 0 };
  const wrap = <K extends keyof WebGL2RenderingContext>(
    name: K,
    kind: keyof typeof live,
    d: 1 | -1,
  ) => {
    const f = (gl[name] as (...a: unknown[]) => unknown).bind(gl);
    (gl as unknown as Record<string, unknown>)[name] = (...a: unknown[]) => {
      const r = f(...a);
      if (d === 1 ? r !== null : a[0] !== null) live[kind] += d;
      return r;
    };
  };
  wrap("createTexture", "textures", 1);
  wrap("deleteTexture", "textures", -1);
  wrap("createProgram", "programs", 1);
  wrap("deleteProgram", "programs", -1);
  return live;
};

const fn = ({ a, b }: { a: Tensor; b: Tensor }) => ({ y: exp(matmul(a, b)), s: sum(a, [0]) });
const specs = { a: { shape: ["N", 8] }, b: { shape: [8, 4] } };
const feeds = (n: number) => ({
  a: hostTensor(
    Array.from({ length: n * 8 }, (_, i) => (i % 7) / 10),
    [n, 8],
  ),
  b: hostTensor(
    Array.from({ length: 32 }, (_, i) => (i % 5) / 10),
    [8, 4],
  ),
});

const setup = () => {
  const canvas = new OffscreenCanvas(1, 1);
  const backend = webglBackend({ canvas });
  const gl = canvas.getContext("webgl2") as WebGL2RenderingContext;
  return { backend, live: countLive(gl) };
};

describe("WebGL dispose", () => {
  it("frees every texture of a compiled function, and the backend frees its programs", async () => {
    const { backend, live } = setup();
    const f = compile(backend, fn, specs);
    await f.run(feeds(3));
    await f.run(feeds(3));
    await f.run(feeds(5));
    expect(live.textures).toBeGreaterThan(0);
    expect(live.programs).toBeGreaterThan(0);
    f.dispose();
    expect(live.textures).toBe(0);
    backend.dispose();
    expect(live.programs).toBe(0);
  });

  it("frees everything on the backend's dispose, compiled functions still holding executables", async () => {
    const { backend, live } = setup();
    const f = compile(backend, fn, specs);
    const g = compile(backend, fn, specs);
    await f.run(feeds(2));
    await g.run(feeds(4));
    expect(live.textures).toBeGreaterThan(0);
    backend.dispose();
    expect(live).toEqual({ textures: 0, programs: 0 });
    f.dispose();
    expect(live).toEqual({ textures: 0, programs: 0 });
  });
});
