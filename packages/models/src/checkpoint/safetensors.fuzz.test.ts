import { LoomError } from "@loom/graph";
import { hostTensor } from "@loom/ops";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCheckpoint, encodeCheckpoint } from "./bundle";
import { decodeSafetensors } from "./safetensors";

/** A file: u64 header length (as declared, default the text's), the header text, then data bytes. */
const frame = (header: string, data: ArrayLike<number> = [], declared?: bigint): Uint8Array => {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
};

/** Runs `f`, which must return or throw a LoomError (nothing else), and reports how long it took. */
const answer = (f: () => unknown): { error?: LoomError; ms: number } => {
  const start = performance.now();
  try {
    f();
    return { ms: performance.now() - start };
  } catch (e) {
    const ms = performance.now() - start;
    if (!(e instanceof LoomError)) throw new Error(`not a LoomError: ${String(e)}`, { cause: e });
    return { error: e, ms };
  }
};

const good = encodeCheckpoint({
  params: { w: hostTensor([1, 2, 3, 4], [2, 2]), b: hostTensor([0.5], [1], "float64") },
  state: { n: hostTensor([3], [], "int32") },
  optState: { m: [hostTensor([1, 0], [2], "bool")] },
  step: 7,
  meta: { model: "mlp" },
});
const goodLength = Number(new DataView(good.buffer).getBigUint64(0, true));
const goodHeader = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + goodLength))) as Record<
  string,
  unknown
>;
const goodData = good.subarray(8 + goodLength);

const entryKeys = Object.keys(goodHeader).filter((k) => k !== "__metadata__");

/** Hostile and random files, by family; sizes stay small enough for 10k cases in a few seconds. */
const hostileFile: fc.Arbitrary<Uint8Array> = fc.oneof(
  // Random bytes, including random declared lengths.
  fc.uint8Array({ maxLength: 64 }),
  // Declared lengths anywhere in the u64 range, over a short valid-looking header.
  fc
    .bigInt({ min: 0n, max: 2n ** 64n - 1n })
    .map((n) => frame('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0], n)),
  // Many spaces inside and after the JSON (the regex /+$/ was quadratic on these).
  fc
    .record({ inside: fc.nat(20_000), after: fc.nat(64), close: fc.boolean() })
    .map(({ inside, after, close }) =>
      frame(`{"a"${" ".repeat(inside)}:${close ? "{}}" : "1"}${" ".repeat(after)}`),
    ),
  fc.nat(20_000).map((n) => frame(`{${" ".repeat(n)}x${" ".repeat(n)}`)),
  // Deep nesting, in the value of a dtype, a shape, the metadata, or bare.
  fc
    .record({
      depth: fc.nat(5_000),
      where: fc.constantFrom("dtype", "shape", "data_offsets", "__metadata__", "bare"),
      open: fc.constantFrom("[", '{"k":'),
      closed: fc.boolean(),
    })
    .map(({ depth, where, open, closed }) => {
      const close = open === "[" ? "]" : "}";
      const deep = open.repeat(depth) + (closed ? close.repeat(depth) : "");
      if (where === "bare") return frame(`{"a":${deep}}`);
      if (where === "__metadata__") return frame(`{"__metadata__":{"k":${deep}}}`);
      const fields = { dtype: '"F32"', shape: "[1]", data_offsets: "[0,4]", [where]: deep };
      return frame(
        `{"a":{"dtype":${fields.dtype},"shape":${fields.shape},"data_offsets":${fields.data_offsets}}}`,
        [0, 0, 0, 0],
      );
    }),
  // Random JSON as the header, and random JSON in one field of a real entry.
  fc.json().map((text) => frame(text)),
  fc
    .record({
      name: fc.constantFrom(...entryKeys),
      field: fc.constantFrom("dtype", "shape", "data_offsets", "extra"),
      value: fc.jsonValue(),
    })
    .map(({ name, field, value }) => {
      const header = structuredClone(goodHeader);
      (header[name] as Record<string, unknown>)[field] = value;
      return frame(JSON.stringify(header), goodData);
    }),
  // Wrong dtypes and offsets as plausible values.
  fc
    .record({
      dtype: fc.constantFrom("F32", "F64", "I32", "BOOL", "F16", "U8", ""),
      shape: fc.array(fc.integer({ min: -2, max: 2 ** 33 }), { maxLength: 4 }),
      begin: fc.integer({ min: -1, max: 2 ** 53 }),
      end: fc.integer({ min: -1, max: 2 ** 53 }),
      data: fc.nat(64),
    })
    .map(({ dtype, shape, begin, end, data }) =>
      frame(
        JSON.stringify({ a: { dtype, shape, data_offsets: [begin, end] } }),
        new Uint8Array(data),
      ),
    ),
  // A real checkpoint, truncated, flipped or with its metadata replaced.
  fc.nat(good.length).map((cut) => good.slice(0, cut)),
  fc
    .record({ at: fc.nat(good.length - 1), mask: fc.integer({ min: 1, max: 255 }) })
    .map(({ at, mask }) => {
      const copy = good.slice();
      copy[at]! ^= mask;
      return copy;
    }),
  fc
    .record({
      key: fc.constantFrom("loom.step", "loom.structure", "loom.format", "loom.crc32", "epoch"),
      value: fc.oneof(fc.string(), fc.json()),
    })
    .map(({ key, value }) => {
      const header = structuredClone(goodHeader);
      (header["__metadata__"] as Record<string, string>)[key] = value;
      return frame(JSON.stringify(header), goodData);
    }),
);

describe("hostile safetensors headers", () => {
  it("10,000 random and adversarial files: each a LoomError or a valid result, in milliseconds", () => {
    fc.assert(
      fc.property(hostileFile, (bytes) => {
        const a = answer(() => decodeSafetensors(bytes));
        const b = answer(() => decodeCheckpoint(bytes));
        // The bound (1 s), far above a loaded machine's jitter: the quadratic check took
        // seconds on 20 KB of spaces, and 18 minutes on 1 MB.
        expect(Math.max(a.ms, b.ms)).toBeLessThan(1000);
        if (a.error) expect(a.error.code).toBe("checkpoint_invalid");
        if (b.error) expect(["checkpoint_invalid", "non_finite"]).toContain(b.error.code);
      }),
      { numRuns: 10_000, seed: 10, endOnFailure: true },
    );
  });

  it("an 80 KB header of spaces is rejected in milliseconds, not seconds", () => {
    const spaced = frame(`{"a"${" ".repeat(80_000)}:1`);
    const { error, ms } = answer(() => decodeSafetensors(spaced));
    expect(error?.message).toMatch(/does not end with '}'/);
    expect(ms).toBeLessThan(1000); // 7 s before the linear-time parse
  });

  it("a header with 10^6 nested arrays is a LoomError, not a stack overflow", () => {
    const deep = "[".repeat(1e6) + "]".repeat(1e6);
    for (const header of [
      `{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,4]}}`,
      `{"a":{"dtype":${deep},"shape":[1],"data_offsets":[0,4]}}`,
      `{"a":${deep}}`,
    ]) {
      const { error } = answer(() => decodeSafetensors(frame(header, [0, 0, 0, 0])));
      expect(error?.code).toBe("checkpoint_invalid");
      expect(error?.message).toMatch(/nests deeper than/);
    }
  });

  it("a long shape or dtype is shown briefly in the message, not in full", () => {
    const shape = `[${new Array(100_000).fill(1.5).join(",")}]`;
    const { error } = answer(() =>
      decodeSafetensors(frame(`{"a":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`)),
    );
    expect(error?.message).toMatch(/shape \[1\.5,1\.5,.*\.\.\. \(100000 items\)\]/);
    expect(error!.message.length).toBeLessThan(300);
  });

  it("a text file or random bytes: 'not a safetensors file'", () => {
    const text = new TextEncoder().encode("#!/bin/sh\necho hello world, this is not a tensor\n");
    const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251);
    for (const bytes of [text, random, new Uint8Array(0), new Uint8Array(5)]) {
      const { error } = answer(() => decodeSafetensors(bytes));
      expect(error?.message).toMatch(/^checkpoint: not a safetensors file/);
    }
    expect(answer(() => decodeSafetensors(text)).error?.message).not.toMatch(/limit/);
  });

  it("a truncated safetensors file says it is truncated", () => {
    const { error } = answer(() => decodeSafetensors(good.slice(0, 8 + goodLength - 10)));
    expect(error?.message).toMatch(/truncated/);
  });
});
