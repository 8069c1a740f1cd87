import { describe, expect, it } from "vitest";
import type { Tensor } from "@loom/ops";
import { compile, constant, exp, hostTensor, matmul, mul, relu } from "@loom/ops";

const hostConstant = () => constant([7, 8], [2]);
import { cpuBackend } from "./cpu-backend";

describe("cpuBackend executables", () => {
  it("read feeds in place without ever writing them, even when a kernel writes in place", async () => {
    // exp(x) * 2 may be planned in place over x's slot: the caller's array must stay untouched.
    const f = compile(cpuBackend(), ({ x }) => ({ y: mul(exp(x), 2), same: x }), {
      x: { shape: [4] },
    });
    const x = hostTensor([0, 1, 2, 3], [4]);
    const before = Array.from(x.data);
    const out = await f.run({ x });
    expect(Array.from(x.data)).toEqual(before);
    expect(Array.from(out.y.data)).toEqual(
      before.map((v) => Math.fround(Math.fround(Math.exp(v)) * 2)),
    );
    expect(Array.from(out.same.data)).toEqual(before);
    expect(out.same.data).not.toBe(x.data);
  });

  it("gives the same results on a second run with other feeds, and copies feeds of another array class", async () => {
    const f = compile(cpuBackend(), ({ a, b }) => ({ c: relu(matmul(a, b)) }), {
      a: { shape: [2, 2] },
      b: { shape: [2, 2] },
    });
    const first = await f.run({
      a: hostTensor([1, 2, 3, 4], [2, 2]),
      b: hostTensor([1, 0, 0, 1], [2, 2]),
    });
    expect(Array.from(first.c.data)).toEqual([1, 2, 3, 4]);
    const wide = {
      data: new Float64Array([1, -1, 0, 2]),
      shape: [2, 2],
      dtype: "float32" as const,
    };
    const second = await f.run({ a: wide, b: hostTensor([2, 0, 0, 2], [2, 2]) });
    expect(Array.from(second.c.data)).toEqual([2, 0, 0, 4]);
    expect(Array.from(first.c.data)).toEqual([1, 2, 3, 4]);
  });

  it("hands each run's outputs over as fresh arrays, and two names of one buffer as two arrays", async () => {
    // y and z are written by kernels straight into fresh arrays (outside the arena); w names
    // the same buffer as z; k is a constant output (in the arena, copied out).
    const f = compile(
      cpuBackend(),
      ({ x }) => {
        const z = mul(exp(x), 3);
        return { y: relu(x), z, w: z, k: mul(hostConstant(), 1) };
      },
      { x: { shape: [3] } },
    );
    const r1 = await f.run({ x: hostTensor([-1, 0, 2], [3]) });
    const r2 = await f.run({ x: hostTensor([4, -5, 6], [3]) });
    expect(Array.from(r1.y.data)).toEqual([0, 0, 2]);
    expect(Array.from(r2.y.data)).toEqual([4, 0, 6]);
    expect(r1.y.data).not.toBe(r2.y.data);
    expect(r1.z.data).not.toBe(r1.w.data);
    expect(Array.from(r1.w.data)).toEqual(Array.from(r1.z.data));
    r1.z.data[0] = 123;
    r1.k.data[0] = 123;
    const r3 = await f.run({ x: hostTensor([-1, 0, 2], [3]) });
    expect(Array.from(r3.z.data)).toEqual(Array.from(r1.w.data));
    expect(Array.from(r3.k.data)).toEqual([7, 8]);
    expect(Array.from(r2.y.data)).toEqual([4, 0, 6]);
  });

  it("gives the same matmul bits on one thread and on every core (a call above the threading threshold)", async () => {
    const [m, k, n] = [256, 192, 160]; // 15.7 MFLOP: split between threads where they exist
    const specs = { a: { shape: [m, k] }, b: { shape: [k, n] } };
    const fn = ({ a, b }: { a: Tensor; b: Tensor }) => ({ c: matmul(a, b) });
    const a = hostTensor(
      Array.from({ length: m * k }, (_, i) => Math.sin(i) * 3),
      [m, k],
    );
    const b = hostTensor(
      Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.7)),
      [k, n],
    );
    // The JS kernels (threaded where workers exist) accumulate in float64.
    const one = await compile(cpuBackend({ threads: 1, wasm: false }), fn, specs).run({ a, b });
    const all = await compile(cpuBackend({ wasm: false }), fn, specs).run({ a, b });
    expect(Array.from(all.c.data)).toEqual(Array.from(one.c.data));
    // The WebAssembly kernels (the default) accumulate in float32, the same bits on every run.
    const wasm = await compile(cpuBackend(), fn, specs).run({ a, b });
    const again = await compile(cpuBackend({ threads: 1 }), fn, specs).run({ a, b });
    expect(Array.from(again.c.data)).toEqual(Array.from(wasm.c.data));
    // JS equals a plain float64 dot product rounded once; wasm is within float32 rounding of it
    for (const [i, j] of [
      [0, 0],
      [m - 1, n - 1],
      [100, 37],
    ] as const) {
      let acc = 0;
      let mag = 0;
      for (let p = 0; p < k; p++) {
        acc += a.data[i * k + p]! * b.data[p * n + j]!;
        mag += Math.abs(a.data[i * k + p]! * b.data[p * n + j]!);
      }
      expect(one.c.data[i * n + j]).toBe(Math.fround(acc));
      expect(Math.abs(wasm.c.data[i * n + j]! - acc)).toBeLessThanOrEqual(k * 2 ** -24 * mag);
    }
  });

  it.each([0, 1.5, -2])("refuses threads: %s with a LoomError", (threads) => {
    expect(() => cpuBackend({ threads })).toThrow(/threads must be a positive integer.*got/);
  });
});
