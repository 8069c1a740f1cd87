import { describe, expect, it } from "vitest";
import type { DeviceTensor } from "@loom/graph";
import { cpuBackend } from "@loom/backend-cpu";
import { compile, hostTensor, mul } from "@loom/ops";
import { webglBackend } from "./webgl-backend";

// Device tensors of the WebGL backend where they meet the outside: a lost context is a
// LoomError on read and on run (never silent zeros), and a handle of another backend or of a
// disposed backend is refused with what to do.

const rejection = async (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

const square = { x: { shape: [4] } };
const fn = ({ x }: { x: Parameters<typeof mul>[0] }) => ({ y: mul(x, x) });

describe("WebGL device tensors", () => {
  it("surface a lost context on read and on run", async () => {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = webglBackend({ canvas });
    const f = compile(gl, fn, square);
    const x = gl.upload!(hostTensor([1, 2, 3, 4], [4]));
    const { y } = await f.runResident({ x });
    expect(Array.from((await y.read()).data)).toEqual([1, 4, 9, 16]);
    canvas.getContext("webgl2")!.getExtension("WEBGL_lose_context")!.loseContext();
    expect((await rejection(y.read()))?.message).toMatch(/context was lost/);
    expect((await rejection(f.runResident({ x })))?.message).toMatch(/context was lost/);
    gl.dispose();
  });

  it("refuse a handle of another backend, and uploads after dispose", async () => {
    const gl = webglBackend();
    const cpu = cpuBackend({ threads: 1 });
    const onCpu = cpu.upload!(hostTensor([1, 2, 3, 4], [4]));
    const e = await rejection(compile(gl, fn, square).runResident({ x: onCpu }));
    expect(e?.name).toBe("LoomError");
    expect(e?.message).toMatch(/another backend \(cpu\).*read it to the host/);
    // The other way round: a texture cannot be fed to the CPU backend either.
    const tex: DeviceTensor = gl.upload!(hostTensor([1, 2, 3, 4], [4]));
    expect((await rejection(compile(cpu, fn, square).run({ x: tex })))?.message).toMatch(
      /webgl device tensor, fed to a cpu executable/,
    );
    // Chained runs of one executable: each output is a texture of its own, never overwritten.
    const f = compile(gl, fn, square);
    const a = (await f.runResident({ x: tex })).y;
    const b = (await f.runResident({ x: a })).y;
    expect(Array.from((await a.read()).data)).toEqual([1, 4, 9, 16]);
    expect(Array.from((await b.read()).data)).toEqual([1, 16, 81, 256]);
    gl.dispose();
    expect(() => gl.upload!(hostTensor([1], [1]))).toThrow(/disposed/);
    cpu.dispose();
  });
});
