/**
 * The web app's copy of the `mnist` package's digits: one byte per pixel instead of ~21 MB of
 * JSON. The package stores each grey level as `round(b / 255, 3)` for a byte b (256 distinct
 * values), so the byte is recovered exactly and decoding gives back the package's values.
 *
 * Layout (little-endian): the 8 ASCII bytes `LOOMMNS1`; 10 u32 sample counts, digit 0 first;
 * then every digit's 28x28 images in package order, digit 0's first, one byte per pixel,
 * row-major. Labels are implied by the blocks. 48 + 784 * 10,000 = 7,840,048 bytes.
 */
import type { MnistDigitData } from "@loom/models/browser";

/** The asset's file name, next to the app's index.html. */
export const MNIST_ASSET_NAME = "mnist-digits.bin";

const MAGIC = "LOOMMNS1";
const HEADER_BYTES = MAGIC.length + 10 * 4;
const PIXELS = 28 * 28;

/** The package's value for byte b: b / 255 rounded to 3 decimals, computed exactly as it was written. */
const level = (b: number): number => Math.round((b / 255) * 1000) / 1000;

const LEVELS = Float32Array.from({ length: 256 }, (_, b) => level(b));

/** The asset's bytes for the package's ten digit arrays; throws if a value is not one the format holds exactly. */
export const encodeMnistAsset = (digits: readonly MnistDigitData[]): Uint8Array => {
  if (digits.length !== 10) throw new Error(`expected 10 digit classes, got ${digits.length}`);
  const total = digits.reduce((n, d) => n + d.length, 0);
  const out = new Uint8Array(HEADER_BYTES + total * PIXELS);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  let at = HEADER_BYTES;
  digits.forEach(({ raw, length }, d) => {
    if (raw.length !== length * PIXELS)
      throw new Error(`digit ${d}: ${raw.length} values are not ${length} images of 28x28`);
    view.setUint32(MAGIC.length + 4 * d, length, true);
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i]!;
      const b = Math.round(v * 255);
      if (!(b >= 0 && b <= 255 && level(b) === v))
        throw new Error(`digit ${d}, value ${i}: ${v} is not a grey level b/255 (3 decimals)`);
      out[at++] = b;
    }
  });
  return out;
};

/** Reads the asset back into the package's ten digit arrays (float32 values), checking its layout. */
export const decodeMnistAsset = (bytes: Uint8Array): MnistDigitData[] => {
  const bad = (why: string) =>
    new Error(`${MNIST_ASSET_NAME} is not a loom MNIST asset (${why}); rebuild or reload the app`);
  const magic = String.fromCharCode(...bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) {
    const page = magic.trimStart().startsWith("<") ? ": the server sent a web page" : "";
    throw bad(`it starts with ${JSON.stringify(magic)}${page}`);
  }
  if (bytes.length < HEADER_BYTES) throw bad(`${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const counts = Array.from({ length: 10 }, (_, d) => view.getUint32(MAGIC.length + 4 * d, true));
  const expected = HEADER_BYTES + counts.reduce((a, b) => a + b, 0) * PIXELS;
  if (bytes.length !== expected) throw bad(`${bytes.length} bytes, its header says ${expected}`);
  let at = HEADER_BYTES;
  return counts.map((length) => {
    const raw = new Float32Array(length * PIXELS);
    for (let i = 0; i < raw.length; i++) raw[i] = LEVELS[bytes[at++]!]!;
    return { raw, length };
  });
};

/** A test image's float32 grey levels in [0, 1] as bytes 0..255 (for display and for sending to the page). */
export const toBytes = (values: Float32Array): Uint8Array =>
  Uint8Array.from(values, (v) => Math.round(v * 255));
