import type { HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import type { Tree } from "@loom/ops";
import { hostTensor } from "@loom/ops";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CheckpointBundle } from "./bundle";
import { CHECKPOINT_FORMAT, decodeCheckpoint, encodeCheckpoint } from "./bundle";
import { decodeSafetensors, encodeSafetensors } from "./safetensors";

const seq = (n: number, scale = 1) => Array.from({ length: n }, (_, i) => (i - n / 2) * scale);

const bundle = (): CheckpointBundle => ({
  params: {
    layers: [
      { w: hostTensor(seq(6, 0.5), [3, 2]), b: hostTensor([0.1, 0.2, 0.3], [3]) },
      { w: hostTensor(seq(3), [1, 3]), b: hostTensor([7], [1]) },
    ],
    empty: {},
  },
  state: { bn: { mean: hostTensor([1, 2], [2], "float64"), count: hostTensor([5], [], "int32") } },
  optState: [{ mask: hostTensor([1, 0, 1], [3], "bool") }, []],
  step: 1234,
  meta: { model: "mlp", config: JSON.stringify({ sizes: [2, 3, 1] }) },
});

/** Structure and values of a tree as plain JSON, to compare trees of host tensors. */
const plain = (t: Tree<HostTensor> | undefined): unknown =>
  JSON.parse(
    JSON.stringify(t, (_k, v: unknown) =>
      ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v,
    ),
  );

const catchLoom = (f: () => unknown): LoomError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LoomError);
    return e as LoomError;
  }
  throw new Error("expected a LoomError");
};

describe("encodeCheckpoint / decodeCheckpoint", () => {
  it("round-trips trees (arrays, objects, empty subtrees), step and meta", () => {
    const b = bundle();
    const back = decodeCheckpoint(encodeCheckpoint(b));
    expect(back.step).toBe(1234);
    expect(back.meta).toEqual(b.meta);
    expect(plain(back.params)).toEqual(plain(b.params));
    expect(plain(back.state)).toEqual(plain(b.state));
    expect(plain(back.optState)).toEqual(plain(b.optState));
    expect(Array.isArray(back.optState)).toBe(true);
    const bn = (back.state as { bn: { mean: HostTensor } }).bn.mean;
    expect(bn.data).toBeInstanceOf(Float64Array);
  });

  it("names tensors params./state./opt. plus the tree path, and records step and format", () => {
    const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(bundle()));
    expect(Object.keys(tensors).sort()).toEqual(
      [
        "params.layers.0.w",
        "params.layers.0.b",
        "params.layers.1.w",
        "params.layers.1.b",
        "state.bn.mean",
        "state.bn.count",
        "opt.0.mask",
      ].sort(),
    );
    expect(tensors["params.layers.0.w"]!.shape).toEqual([3, 2]);
    expect(metadata["loom.step"]).toBe("1234");
    expect(metadata["loom.format"]).toBe(CHECKPOINT_FORMAT);
    expect(metadata.model).toBe("mlp");
    expect(metadata["loom.crc32"]).toMatch(/^[0-9a-f]{8}$/);
  });

  it("defaults state and optState to empty trees", () => {
    const back = decodeCheckpoint(
      encodeCheckpoint({ params: { w: hostTensor([1], [1]) }, step: 0 }),
    );
    expect(back.state).toEqual({});
    expect(back.optState).toEqual({});
    expect(back.meta).toEqual({});
    expect(back.step).toBe(0);
  });

  it("saves a model without a step (for inference): no loom.step is written, and it reads as 0", () => {
    const bytes = encodeCheckpoint({ params: { w: hostTensor([1, 2], [2]) } });
    expect(decodeSafetensors(bytes).metadata).not.toHaveProperty("loom.step");
    const back = decodeCheckpoint(bytes);
    expect(back.step).toBe(0);
    expect(Array.from((back.params as { w: HostTensor }).w.data)).toEqual([1, 2]);
  });

  it("rebuilds into the structure of `expected`, given as host tensors or specs", () => {
    const b = bundle();
    const expected = {
      params: {
        layers: [
          { w: { shape: [3, 2] }, b: { shape: [3] } },
          { w: hostTensor([0, 0, 0], [1, 3]), b: { shape: [1], dtype: "float32" as const } },
        ],
        empty: {},
      },
      state: {
        bn: {
          mean: { shape: [2], dtype: "float64" as const },
          count: { shape: [], dtype: "int32" as const },
        },
      },
    };
    const back = decodeCheckpoint(encodeCheckpoint(b), expected);
    expect(plain(back.params)).toEqual(plain(b.params));
    expect(plain(back.state)).toEqual(plain(b.state));
    // optState was not given: it comes back from the file's own structure.
    expect(plain(back.optState)).toEqual(plain(b.optState));
  });

  it("reports shape, dtype, missing and extra differences by name", () => {
    const bytes = encodeCheckpoint({
      params: { layers: [{ w: hostTensor(new Float32Array(128 * 784), [128, 784]) }] },
      step: 1,
    });
    const shape = catchLoom(() =>
      decodeCheckpoint(bytes, { params: { layers: [{ w: { shape: [256, 784] } }] } }),
    );
    expect(shape.code).toBe("checkpoint_invalid");
    expect(shape.message).toContain(
      "params.layers.0.w: expected f32[256,784], file has f32[128,784]",
    );

    const dtype = catchLoom(() =>
      decodeCheckpoint(bytes, {
        params: { layers: [{ w: { shape: [128, 784], dtype: "float64" } }] },
      }),
    );
    expect(dtype.message).toContain(
      "params.layers.0.w: expected f64[128,784], file has f32[128,784]",
    );

    const missing = catchLoom(() =>
      decodeCheckpoint(bytes, {
        params: { layers: [{ w: { shape: [128, 784] }, b: { shape: [128] } }] },
      }),
    );
    expect(missing.message).toContain(
      "params.layers.0.b: expected f32[128], missing from the file",
    );

    const extra = catchLoom(() => decodeCheckpoint(bytes, { params: { layers: [] } }));
    expect(extra.message).toContain(
      "params.layers.0.w: in the file (f32[128,784]) but not expected",
    );
    expect(extra.code).toBe("checkpoint_invalid");
  });

  it("lists at most five differences and counts the rest", () => {
    const params = Object.fromEntries(seq(8).map((_, i) => [`t${i}`, hostTensor([1], [1])]));
    const e = catchLoom(() =>
      decodeCheckpoint(encodeCheckpoint({ params, step: 0 }), { params: {} }),
    );
    expect(e.message).toContain("and 3 more");
  });

  it("refuses to encode bad bundles before producing any bytes", () => {
    const withLeaf = (leaf: unknown) =>
      ({ params: { w: leaf }, step: 0 }) as unknown as CheckpointBundle;
    expect(catchLoom(() => encodeCheckpoint(withLeaf("oops"))).code).toBe("invalid_argument");
    expect(catchLoom(() => encodeCheckpoint(withLeaf(new Map()))).code).toBe("invalid_argument");
    expect(catchLoom(() => encodeCheckpoint({ ...bundle(), step: -1 })).code).toBe(
      "invalid_argument",
    );
    expect(catchLoom(() => encodeCheckpoint({ ...bundle(), step: 1.5 })).code).toBe(
      "invalid_argument",
    );
    expect(
      catchLoom(() => encodeCheckpoint({ ...bundle(), meta: { "loom.step": "3" } })).code,
    ).toBe("invalid_argument");
    const colliding = {
      params: { "a.b": hostTensor([1], [1]), a: { b: hostTensor([2], [1]) } },
      step: 0,
    };
    expect(catchLoom(() => encodeCheckpoint(colliding)).message).toMatch(/params\.a\.b/);
  });

  it("refuses NaN and Inf unless allowed", () => {
    const nan = { params: { w: hostTensor([1, NaN], [2]) }, step: 3 };
    const e = catchLoom(() => encodeCheckpoint(nan));
    expect(e.code).toBe("non_finite");
    expect(e.message).toContain("params.w[1]");
    expect(
      catchLoom(() =>
        encodeCheckpoint({ params: { w: hostTensor([-Infinity], [1], "float64") }, step: 0 }),
      ).code,
    ).toBe("non_finite");
    const written = encodeCheckpoint(nan, { allowNonFinite: true });
    const refused = catchLoom(() => decodeCheckpoint(written));
    expect(refused.code).toBe("non_finite");
    expect(refused.message).toContain("params.w[1] is not a finite number (NaN)");
    expect(
      catchLoom(() => decodeCheckpoint(written, undefined, { source: "a.st" })).message,
    ).toMatch(/^checkpoint: a\.st: params\.w\[1\]/);
    const back = decodeCheckpoint(written, undefined, { allowNonFinite: true });
    expect(Number.isNaN((back.params as { w: HostTensor }).w.data[1])).toBe(true);
  });

  it("rejects plain safetensors files and inconsistent loom metadata", () => {
    const plainFile = encodeSafetensors({ w: hostTensor([1], [1]) });
    expect(catchLoom(() => decodeCheckpoint(plainFile)).message).toMatch(/not a loom checkpoint/);
    // A file whose structure names a tensor that is not there (checksum recomputed to match).
    const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(bundle()));
    delete tensors["state.bn.mean"];
    const forged = encodeSafetensors(tensors, metadata);
    expect(catchLoom(() => decodeCheckpoint(forged)).code).toBe("checkpoint_invalid");
  });

  describe("every corruption is checkpoint_invalid", () => {
    const good = encodeCheckpoint(bundle());

    it("truncation at every length", () => {
      for (let cut = 0; cut < good.length; cut++) {
        expect(catchLoom(() => decodeCheckpoint(good.subarray(0, cut))).code).toBe(
          "checkpoint_invalid",
        );
      }
    });

    it("a single flipped byte anywhere: header, metadata or data", () => {
      for (let at = 0; at < good.length; at++) {
        const copy = good.slice();
        copy[at]! ^= 0x01;
        expect(catchLoom(() => decodeCheckpoint(copy)).code).toBe("checkpoint_invalid");
      }
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: good.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          (at, mask) => {
            const copy = good.slice();
            copy[at]! ^= mask;
            expect(catchLoom(() => decodeCheckpoint(copy)).code).toBe("checkpoint_invalid");
          },
        ),
        { numRuns: 500 },
      );
    });

    it("trailing garbage", () => {
      const longer = new Uint8Array(good.length + 8);
      longer.set(good);
      expect(catchLoom(() => decodeCheckpoint(longer)).code).toBe("checkpoint_invalid");
    });
  });
});
