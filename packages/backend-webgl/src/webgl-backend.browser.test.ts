import { afterAll, describe, expect, it } from "vitest";
import type { Backend, HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tensor, TensorSpec } from "@loom/ops";
import {
  add,
  compile,
  concat,
  constant,
  exp,
  gt,
  hostTensor,
  matmul,
  mul,
  pad,
  planGraph,
  sum,
  trace,
  transpose,
} from "@loom/ops";
import { ProgramCache } from "./programs";
import { compareWithCpu, randomFloat32, runOn } from "@loom/testing";
import { webglBackend } from "./webgl-backend";

// The backend's own behaviour: texture layouts and readback paths, texture reuse, the program
// cache, and every way it refuses to run (float64, too many inputs, bad feeds, a lost or
// disposed context, a shader the driver rejects) with a LoomError instead of a GL error.

const shared = webglBackend();
afterAll(() => shared.dispose());

/** A program touching every kind of kernel, with several outputs of each dtype. */
const mixed = ({ a, b, i }: Record<string, Tensor>) => ({
  mm: exp(mul(matmul(a!, transpose(b!)), 0.1)),
  red: sum(a!, [0]),
  pad: pad(
    transpose(a!),
    [
      [1, 2],
      [0, 3],
    ],
    -2,
  ),
  ints: add(mul(i!, 3), 7),
  bools: gt(i!, 5),
  copy: i!,
  chain: add(concat([a!, b!], 1), 1),
});
const mixedSpecs: Record<string, TensorSpec> = {
  a: { shape: [37, 23] },
  b: { shape: [37, 23] },
  i: { shape: [11, 13], dtype: "int32" },
};
const mixedFeeds = {
  a: randomFloat32([37, 23], 1),
  b: randomFloat32([37, 23], 2),
  i: hostTensor(
    Array.from({ length: 143 }, (_, k) => k * 37 - 2000),
    [11, 13],
    "int32",
  ),
};

/** The plan `compile` would hand to WebGL. */
const planOf = (
  fn: (t: Record<string, Tensor>) => Record<string, Tensor>,
  specs: Record<string, TensorSpec>,
) => planGraph(trace(fn as never, specs as never).graph, {}, { inPlace: false });

const expectLoomError = async (
  p: Promise<unknown> | (() => unknown),
  code: string,
  text: RegExp,
) => {
  let err: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(LoomError);
  expect((err as LoomError).code).toBe(code);
  expect((err as LoomError).message).toMatch(text);
};

describe("the backend", () => {
  it("is named webgl and asks for no in-place writes", () => {
    expect(shared.name).toBe("webgl");
    expect(shared.inPlace).toBe(false);
  });

  it.each([
    ["default layout", {}],
    ["rows of 8 texels (mask and shift)", { maxTextureWidth: 8 }],
    ["rows of 7 texels (division)", { maxTextureWidth: 7 }],
    ["RGBA readback", { forceRgbaReads: true }],
    ["no texture reuse", { reuseTextures: false }],
  ])("computes the same results with %s", async (_, opts) => {
    const gl = webglBackend(opts);
    try {
      const r = await compareWithCpu(gl, mixed as never, mixedSpecs, mixedFeeds, (name) =>
        name === "mm" || name === "red" ? { rtol: 1e-5 } : { rtol: 0 },
      );
      expect(r).toBeUndefined();
    } finally {
      gl.dispose();
    }
  });

  it("reads back asynchronously, runs issued together taking turns (each its own feeds)", async () => {
    const f = compile(shared, ({ x }: Record<string, Tensor>) => ({ y: mul(x!, 2) }), {
      x: { shape: [5] },
    });
    const feeds = [1, 2, 3].map((k) => ({ x: hostTensor([k, k, k, k, k], [5]) }));
    const outs = (await Promise.all(feeds.map((fd) => f.run(fd as never)))) as unknown as {
      y: HostTensor;
    }[];
    expect(outs.map((o) => Array.from(o.y.data))).toEqual(
      [1, 2, 3].map((k) => Array(5).fill(2 * k)),
    );
  });

  it("returns inputs, constants, scalars and bool feeds as they are", async () => {
    const fn = ({ x, m }: Record<string, Tensor>) => ({
      x: x!,
      c: constant(new Float32Array([1.5, -2, 3]), [3]),
      s: sum(x!),
      m: m!,
      notM: gt(add(mul(x!, 0), 1), 0),
    });
    const feeds = {
      x: hostTensor([1, 2, 3.25], [3]),
      m: hostTensor(new Uint8Array([1, 0, 1]), [3], "bool"),
    };
    const out = await runOn(
      shared,
      fn as never,
      { x: { shape: [3] }, m: { shape: [3], dtype: "bool" } },
      feeds,
    );
    expect(Array.from(out["x"]!.data)).toEqual([1, 2, 3.25]);
    expect(Array.from(out["c"]!.data)).toEqual([1.5, -2, 3]);
    expect(out["s"]!.shape).toEqual([]);
    expect(Array.from(out["s"]!.data)).toEqual([6.25]);
    expect(out["m"]!.data).toEqual(new Uint8Array([1, 0, 1]));
    expect(out["notM"]!.dtype).toBe("bool");
  });

  it("splits kernels that read more textures than a shader may sample", async () => {
    const n = 40;
    const specs = Object.fromEntries(
      Array.from({ length: n }, (_, k) => [`x${k}`, { shape: [3, 2] }]),
    );
    const feeds = Object.fromEntries(
      Object.keys(specs).map((k, i) => [k, randomFloat32([3, 2], i)]),
    );
    const fn = (t: Record<string, Tensor>) => ({
      cat: concat(Object.values(t), 1),
      norm: Object.values(t).reduce((acc, x) => add(acc, sum(mul(x, x))), sum(t["x0"]!)),
    });
    expect(
      Math.max(...planOf(fn, specs).kernels.map((k) => k.inputs.length)),
    ).toBeGreaterThanOrEqual(n);
    const r = await compareWithCpu(shared, fn as never, specs, feeds, (name) => ({
      rtol: name === "norm" ? 1e-6 : 0,
    }));
    expect(r).toBeUndefined();
  });

  it("profiles each kernel when asked", async () => {
    const profile: number[] = [];
    const gl = webglBackend({ profile });
    try {
      const plan = planOf(mixed, mixedSpecs);
      await gl.compile(plan).run(mixedFeeds);
      expect(profile).toHaveLength(plan.kernels.length);
      expect(profile.every((ms) => ms >= 0)).toBe(true);
    } finally {
      gl.dispose();
    }
  });

  it("shares programs between executables, compiling each source once", async () => {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = webglBackend({ canvas });
    const ctx = canvas.getContext("webgl2")!;
    let created = 0;
    const original = ctx.createProgram.bind(ctx);
    ctx.createProgram = () => (created++, original());
    try {
      const plan = planOf(mixed, mixedSpecs);
      gl.compile(plan);
      const first = created;
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(plan.kernels.length);
      const exe = gl.compile(plan);
      expect(created).toBe(first);
      await exe.run(mixedFeeds);
    } finally {
      gl.dispose();
    }
  });
});

describe("refusals are LoomErrors", () => {
  it("float64 plans, pointing to the CPU backend", async () => {
    const f = compile(shared, ({ x }: { x: Tensor }) => ({ y: add(x, 1) }), {
      x: { shape: [3], dtype: "float64" },
    });
    await expectLoomError(
      f.run({ x: hostTensor([1, 2, 3], [3], "float64") }),
      "unsupported",
      /float64.*CPU backend/,
    );
  });

  it("a reduction reading more textures than a shader may sample", async () => {
    const specs = Object.fromEntries(
      Array.from({ length: 40 }, (_, k) => [`x${k}`, { shape: [2] }]),
    );
    const plan = planOf((t) => ({ y: sum(concat(Object.values(t), 0)) }), specs);
    await expectLoomError(
      () => shared.compile(plan),
      "unsupported",
      /reads 40 buffers, more than the \d+ textures.*reduction loop.*CPU backend/,
    );
  });

  it("missing and misshapen feeds", async () => {
    const exe = shared.compile(planOf(mixed, mixedSpecs));
    await expectLoomError(
      exe.run({ a: mixedFeeds.a, b: mixedFeeds.b }),
      "missing_feed",
      /no value fed for input "i"/,
    );
    const bad: HostTensor = randomFloat32([23, 37], 1);
    await expectLoomError(
      exe.run({ ...mixedFeeds, a: bad }),
      "shape_mismatch",
      /input "a" expects float32\[37,23\]/,
    );
  });

  it("runs after dispose", async () => {
    const gl = webglBackend();
    const exe = gl.compile(planOf(mixed, mixedSpecs));
    await exe.run(mixedFeeds);
    exe.dispose();
    await expectLoomError(exe.run(mixedFeeds), "invalid_argument", /disposed/);
    gl.dispose();
    await expectLoomError(
      () => gl.compile(planOf(mixed, mixedSpecs)),
      "invalid_argument",
      /disposed/,
    );
  });

  it("a lost context", async () => {
    const canvas = new OffscreenCanvas(1, 1);
    const gl: Backend = webglBackend({ canvas });
    const exe = gl.compile(planOf(mixed, mixedSpecs));
    canvas.getContext("webgl2")!.getExtension("WEBGL_lose_context")!.loseContext();
    await expectLoomError(exe.run(mixedFeeds), "unsupported", /context was lost/);
    await expectLoomError(
      () => gl.compile(planOf(mixed, mixedSpecs)),
      "unsupported",
      /context was lost/,
    );
    gl.dispose();
  });

  it("a canvas that cannot give a WebGL2 context", async () => {
    const canvas = new OffscreenCanvas(1, 1);
    canvas.getContext("2d");
    await expectLoomError(
      () => webglBackend({ canvas }),
      "unsupported",
      /no WebGL2 context.*CPU backend/,
    );
  });

  it("a context without float render targets (EXT_color_buffer_float)", async () => {
    const real = new OffscreenCanvas(1, 1).getContext("webgl2")!;
    const gl = new Proxy(real, {
      get: (t, k) =>
        k === "getExtension"
          ? (name: string) => (name === "EXT_color_buffer_float" ? null : t.getExtension(name))
          : (Reflect.get(t, k) as unknown),
    });
    const canvas = { getContext: () => gl } as unknown as OffscreenCanvas;
    await expectLoomError(
      () => webglBackend({ canvas }),
      "unsupported",
      /EXT_color_buffer_float.*CPU backend/,
    );
  });

  it("a shader the driver rejects, with the kernel, the log and the line", async () => {
    const ctx = new OffscreenCanvas(1, 1).getContext("webgl2")!;
    const cache = new ProgramCache(ctx);
    const source =
      "#version 300 es\nprecision highp float;\nout float o;\nvoid main() {\n  o = undeclared;\n}";
    await expectLoomError(
      () =>
        cache.programsFor([
          { source, samplers: 0, label: { op: "matmul", what: "kernel 7 (matmul)" } },
        ]),
      "unsupported",
      /could not compile the shader of kernel 7 \(matmul\):.*undeclared[\s\S]*5: o = undeclared;/,
    );
    expect(cache.size).toBe(0);
    cache.dispose();
  });
});
