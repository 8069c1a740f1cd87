import type { DType, HostTensor } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { hostTensor } from "@loom/ops";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeSafetensors,
  encodeSafetensors,
  readLittleEndian,
  writeLittleEndian,
} from "./safetensors";

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Builds a file by hand: u64 length, header text as given, then raw data bytes. */
const rawFile = (header: string, data: ArrayLike<number> = []): Uint8Array => {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
};

const expectInvalid = (f: () => unknown, pattern?: RegExp): void => {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LoomError);
  expect((caught as LoomError).code).toBe("checkpoint_invalid");
  if (pattern) expect((caught as LoomError).message).toMatch(pattern);
};

const sample = (): Record<string, HostTensor> => ({
  w: hostTensor([1.5, -2, 3.25, 0, 1e-20, -0], [2, 3], "float32"),
  d: hostTensor([Math.PI, -1e300, 5e-324], [3], "float64"),
  i: hostTensor([-2147483648, 2147483647, 0, 7], [2, 2], "int32"),
  b: hostTensor([1, 0, 1], [3, 1], "bool"),
  scalar: hostTensor([42], [], "float32"),
  empty: hostTensor([], [0, 5], "float32"),
  emptyBool: hostTensor([], [4, 0], "bool"),
});

describe("encodeSafetensors / decodeSafetensors", () => {
  it("round-trips every dtype, scalars and empty tensors, and metadata", () => {
    const tensors = sample();
    const bytes = encodeSafetensors(tensors, { model: "mlp", config: '{"a":1}' });
    const { tensors: back, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ model: "mlp", config: '{"a":1}' });
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      expect(back[name]!.dtype).toBe(t.dtype);
      expect(back[name]!.shape).toEqual(t.shape);
      expect(back[name]!.data.constructor).toBe(t.data.constructor);
      expect(Array.from(back[name]!.data)).toEqual(Array.from(t.data));
    }
    expect(Object.is(back.w!.data[5], -0)).toBe(true);
  });

  it("reproduces the reference implementation's bytes (safetensors tests, forced alignment and empty)", () => {
    // From huggingface/safetensors tensor.rs: test_serialization_forced_alignement.
    const attn0 = hostTensor([0, 1, 2, 3, 4, 5], [1, 1, 2, 3], "float32");
    const expected = [
      72,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...ascii('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}'),
      32,
      32,
      32,
      32,
      32,
      32,
      32,
      0,
      0,
      0,
      0,
      0,
      0,
      128,
      63,
      0,
      0,
      0,
      64,
      0,
      0,
      64,
      64,
      0,
      0,
      128,
      64,
      0,
      0,
      160,
      64,
    ];
    expect(Array.from(encodeSafetensors({ attn0 }))).toEqual(expected);
    // test_empty, without and with metadata.
    expect(Array.from(encodeSafetensors({}))).toEqual([
      8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32,
    ]);
    expect(Array.from(encodeSafetensors({}, { framework: "pt" }))).toEqual([
      40,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...ascii('{"__metadata__":{"framework":"pt"}}'),
      32,
      32,
      32,
      32,
      32,
    ]);
  });

  it("lays out a tiny file as the spec says (checked by hand)", () => {
    const bytes = encodeSafetensors(
      {
        b: hostTensor([1, 0], [2], "bool"),
        x: hostTensor([1], [1], "float64"),
        n: hostTensor([258], [], "int32"),
      },
      { k: "v" },
    );
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    // Widest dtype first: F64 (8 bytes), then I32 (4), then BOOL (2).
    expect(JSON.parse(header)).toEqual({
      __metadata__: { k: "v" },
      x: { dtype: "F64", shape: [1], data_offsets: [0, 8] },
      n: { dtype: "I32", shape: [], data_offsets: [8, 12] },
      b: { dtype: "BOOL", shape: [2], data_offsets: [12, 14] },
    });
    expect(header.trimEnd().length).toBeGreaterThan(n - 8);
    expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
    const data = Array.from(bytes.subarray(8 + n));
    // 1.0 as f64 LE = 00..00 f0 3f; 258 as i32 LE = 02 01 00 00; then bools 1, 0.
    expect(data).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 2, 1, 0, 0, 1, 0]);
    expect(bytes.length).toBe(8 + n + 14);
  });

  it("decodes an unpadded file with tensors listed out of offset order", () => {
    const header =
      '{"b":{"dtype":"I32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}';
    const bytes = rawFile(header, [0, 0, 0x80, 0x3f, 0xff, 0xff, 0xff, 0xff]);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({});
    expect(Array.from(tensors.a!.data)).toEqual([1]);
    expect(tensors.a!.shape).toEqual([]);
    expect(Array.from(tensors.b!.data)).toEqual([-1]);
  });

  it("decodes from a Uint8Array that is a view into a larger buffer at an odd offset", () => {
    const bytes = encodeSafetensors(sample());
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 1);
    const { tensors } = decodeSafetensors(big.subarray(1, 1 + bytes.length));
    expect(Array.from(tensors.d!.data)).toEqual([Math.PI, -1e300, 5e-324]);
  });

  it("keeps awkward names (dots, __proto__, unicode) intact", () => {
    const names = ["a.b.0", "__proto__", "ünï", ""];
    const tensors = Object.fromEntries(names.map((n, i) => [n, hostTensor([i], [1], "int32")]));
    const back = decodeSafetensors(encodeSafetensors(tensors)).tensors;
    expect(Object.keys(back).sort()).toEqual([...names].sort());
    names.forEach((n, i) =>
      expect(Array.from(Object.getOwnPropertyDescriptor(back, n)!.value.data)).toEqual([i]),
    );
  });

  it("the little-endian fallback for big-endian hosts writes and reads the same bytes", () => {
    for (const [dtype, values] of [
      ["float32", [1.5, -3, 1e-30]],
      ["float64", [Math.E, -0.1]],
      ["int32", [-5, 1 << 30]],
    ] as [DType, number[]][]) {
      const t = hostTensor(values, [values.length], dtype);
      const fast = new Uint8Array(t.data.byteLength);
      const slow = new Uint8Array(t.data.byteLength);
      writeLittleEndian(t, fast, 0, true);
      writeLittleEndian(t, slow, 0, false);
      expect(Array.from(slow)).toEqual(Array.from(fast));
      expect(Array.from(readLittleEndian(slow, dtype, values.length, false))).toEqual(
        Array.from(t.data),
      );
    }
  });

  it("refuses bad input to the encoder with invalid_argument", () => {
    const bad: [string, unknown][] = [
      ["__metadata__", hostTensor([1], [1])],
      ["x", { data: new Float64Array(2), shape: [2], dtype: "float32" }],
      ["x", { data: new Float32Array(3), shape: [2], dtype: "float32" }],
      ["x", { data: new Float32Array(2), shape: [2], dtype: "float16" }],
      ["x", { data: new Float32Array(0), shape: [-1], dtype: "float32" }],
      ["x", [1, 2]],
    ];
    for (const [name, t] of bad) {
      expect(() => encodeSafetensors({ [name]: t } as Record<string, HostTensor>)).toThrow(
        expect.objectContaining({ code: "invalid_argument" }),
      );
    }
  });
});

describe("decodeSafetensors rejects corrupt files with checkpoint_invalid", () => {
  const good = encodeSafetensors(sample(), { model: "mlp" });
  const headerLength = new DataView(good.buffer).getUint32(0, true);

  it("accepts the untouched file", () => {
    expect(() => decodeSafetensors(good)).not.toThrow();
  });

  it("any truncation", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), (cut) => {
        expectInvalid(() => decodeSafetensors(good.slice(0, cut)));
      }),
      { numRuns: 200 },
    );
    for (const cut of [0, 7, 8, 9, 8 + headerLength - 1, 8 + headerLength, good.length - 1]) {
      expectInvalid(() => decodeSafetensors(good.slice(0, cut)));
    }
  });

  it("trailing garbage", () => {
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expectInvalid(() => decodeSafetensors(longer), /trailing/);
  });

  it("a header length larger than the file, or above the limit", () => {
    const copy = good.slice();
    new DataView(copy.buffer).setUint32(0, good.length, true);
    expectInvalid(() => decodeSafetensors(copy), /past the end/);
    new DataView(copy.buffer).setUint32(4, 1, true);
    expectInvalid(
      () => decodeSafetensors(copy),
      /not a safetensors file: .* over the .*-byte limit/,
    );
  });

  it("a flipped header byte: invalid, unless it only relabels (caught by the checkpoint checksum)", () => {
    // Safetensors has no checksum: a flip inside a name, a metadata string or a dtype tag (F32 ->
    // I32) still parses. Everything else must be rejected, and nothing may escape as another error.
    let rejected = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 8 + headerLength - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, mask) => {
          const copy = good.slice();
          copy[at]! ^= mask;
          try {
            decodeSafetensors(copy);
          } catch (e) {
            expect(e).toBeInstanceOf(LoomError);
            expect((e as LoomError).code).toBe("checkpoint_invalid");
            rejected++;
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(rejected).toBeGreaterThan(150);
    const text = new TextDecoder().decode(good.subarray(8, 8 + headerLength));
    for (const ch of ["{", ":", "[", ",", "]", "}", '"']) {
      for (let at = text.indexOf(ch); at >= 0; at = text.indexOf(ch, at + 1)) {
        const copy = good.slice();
        copy[8 + at]! ^= 0x01;
        expectInvalid(() => decodeSafetensors(copy));
      }
    }
    const padded = good.slice();
    padded[8 + headerLength - 1] = 0x09; // padding must be spaces, not a tab
    expectInvalid(() => decodeSafetensors(padded), /padding/);
  });

  const f32 = (name: string, shape: number[], begin: number, end: number) =>
    `"${name}":{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;
  const zeros = (n: number) => new Array<number>(n).fill(0);

  it("overlapping offsets", () => {
    expectInvalid(
      () =>
        decodeSafetensors(rawFile(`{${f32("a", [2], 0, 8)},${f32("b", [2], 4, 12)}}`, zeros(12))),
      /overlaps/,
    );
  });

  it("a gap between tensors", () => {
    expectInvalid(
      () =>
        decodeSafetensors(rawFile(`{${f32("a", [1], 0, 4)},${f32("b", [1], 8, 12)}}`, zeros(12))),
      /gap/,
    );
  });

  it("a byte count that does not fit the dtype size or the shape", () => {
    const i32AsF64 = '{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}';
    expectInvalid(() => decodeSafetensors(rawFile(i32AsF64, zeros(8))), /need 16/);
    expectInvalid(
      () => decodeSafetensors(rawFile(`{${f32("a", [3], 0, 8)}}`, zeros(8))),
      /need 12/,
    );
    expectInvalid(() =>
      decodeSafetensors(rawFile(`{${f32("a", [2 ** 40, 2 ** 40], 0, 8)}}`, zeros(8))),
    );
  });

  it("offsets past the data, reversed or malformed", () => {
    expectInvalid(
      () => decodeSafetensors(rawFile(`{${f32("a", [2], 0, 8)}}`, zeros(4))),
      /past the end/,
    );
    expectInvalid(() => decodeSafetensors(rawFile(`{${f32("a", [0], 4, 0)}}`, zeros(4))));
    expectInvalid(() =>
      decodeSafetensors(rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', zeros(4))),
    );
    expectInvalid(() =>
      decodeSafetensors(
        rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}}', zeros(4)),
      ),
    );
  });

  it("bad dtypes, shapes, entries, metadata and JSON", () => {
    const cases = [
      '{"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}',
      '{"a":{"shape":[1],"data_offsets":[0,4]}}',
      '{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}',
      '{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}',
      '{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}',
      '{"a":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}}',
      '{"a":[1,2]}',
      '{"__metadata__":{"k":1}}',
      '{"__metadata__":[]}',
      "[]",
      '{"a":',
      ' {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
    ];
    for (const header of cases) expectInvalid(() => decodeSafetensors(rawFile(header, zeros(4))));
  });

  it("duplicate names, which JSON.parse would silently merge", () => {
    const header = `{${f32("a", [1], 0, 4)},${f32("a", [1], 4, 8)}}`;
    expectInvalid(() => decodeSafetensors(rawFile(header, zeros(8))), /twice/);
    const escaped = `{${f32("a", [1], 0, 4)},${f32("\\u0061", [1], 4, 8)}}`;
    expectInvalid(() => decodeSafetensors(rawFile(escaped, zeros(8))), /twice/);
  });

  it("invalid UTF-8 and bool bytes other than 0 and 1", () => {
    const bytes = rawFile('{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}', [2]);
    expectInvalid(() => decodeSafetensors(bytes), /bool/);
    const utf = rawFile(`{"\u00e9":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}`, [1]);
    utf[10] = 0xff;
    expectInvalid(() => decodeSafetensors(utf), /UTF-8/);
  });
});
