/**
 * The safetensors format (https://github.com/huggingface/safetensors), bytes in and out: an
 * 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON header (padded with spaces to
 * a multiple of 8 so that the data is 8-aligned), then the tensors' little-endian bytes, packed
 * back to back in offset order. Pure and browser-safe: no file system here (see `file.ts`).
 */
import type { DType, HostTensor, TypedArray } from "@loom/graph";
import { allocTyped, DTYPE_BYTES, LoomError } from "@loom/graph";
import { isHostTensor } from "@loom/ops";
import { scanHeader, trailingSpaces } from "./header-scan";
import { narrowInt64 } from "./narrow-int64";
import { showJson } from "./show-json";

/** A safetensors dtype tag loom reads and writes. */
export type SafetensorsDType = "F32" | "F64" | "I32" | "BOOL";

/** loom dtype -> safetensors tag. */
export const SAFETENSORS_DTYPE: Readonly<Record<DType, SafetensorsDType>> = {
  float32: "F32",
  float64: "F64",
  int32: "I32",
  bool: "BOOL",
};

const FROM_TAG: Readonly<Record<SafetensorsDType, DType>> = {
  F32: "float32",
  F64: "float64",
  I32: "int32",
  BOOL: "bool",
};

/**
 * Tags of the reference format that loom does not hold, named in the refusal so that a user knows
 * the file is fine and only needs converting (e.g. `model.float()` in PyTorch before saving).
 */
const FOREIGN_TAGS = ["F16", "BF16", "F8_E4M3", "F8_E5M2", "I8", "U8", "I16", "U16", "U32", "U64"];

/** Options for reading safetensors bytes. */
export interface DecodeSafetensorsOptions {
  /**
   * Read I64 tensors (what PyTorch writes for integer buffers such as batch norm's
   * `num_batches_tracked`) as int32, refusing any value outside int32's range. Off by default:
   * a loom checkpoint never holds I64.
   */
  readonly int64?: boolean;
}

/** The reference implementation refuses headers above 100 MB; so do we, before decoding them. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = "__metadata__";

/** The typed-array class that holds each dtype, to reject e.g. a Float64Array labelled float32. */
const ARRAY_CLASS: Readonly<Record<DType, new (n: number) => TypedArray>> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
};

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const invalid = (message: string): LoomError =>
  new LoomError("checkpoint_invalid", "checkpoint", message);

const badInput = (message: string): LoomError =>
  new LoomError("invalid_argument", "checkpoint", message);

const showName = (name: string): string => JSON.stringify(name);

/**
 * Writes a tensor's elements little-endian into `out` at `at`. Exported for tests only: the
 * `littleEndianHost = false` path (DataView, slower) is what a big-endian host would run.
 */
export const writeLittleEndian = (
  t: HostTensor,
  out: Uint8Array,
  at: number,
  littleEndianHost = HOST_IS_LITTLE_ENDIAN,
): void => {
  const { data, dtype } = t;
  if (dtype === "bool") {
    for (let i = 0; i < data.length; i++) out[at + i] = data[i] ? 1 : 0;
    return;
  }
  if (littleEndianHost) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + at, data.length * DTYPE_BYTES[dtype]);
  for (let i = 0; i < data.length; i++) {
    if (dtype === "float32") view.setFloat32(i * 4, data[i]!, true);
    else if (dtype === "float64") view.setFloat64(i * 8, data[i]!, true);
    else view.setInt32(i * 4, data[i]!, true);
  }
};

/** A tensor's elements as little-endian bytes: a view of its data on little-endian hosts, a copy otherwise. */
export const littleEndianBytes = (t: HostTensor): Uint8Array => {
  if (HOST_IS_LITTLE_ENDIAN && t.dtype !== "bool") {
    return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  const out = new Uint8Array(t.data.length * DTYPE_BYTES[t.dtype]);
  writeLittleEndian(t, out, 0);
  return out;
};

/** Reads `n` little-endian elements of `dtype` from `bytes` (a fresh copy). Exported for tests only. */
export const readLittleEndian = (
  bytes: Uint8Array,
  dtype: DType,
  n: number,
  littleEndianHost = HOST_IS_LITTLE_ENDIAN,
): TypedArray => {
  const out = allocTyped(dtype, n);
  if (dtype === "bool" || littleEndianHost) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, n * DTYPE_BYTES[dtype]));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * DTYPE_BYTES[dtype]);
  for (let i = 0; i < n; i++) {
    if (dtype === "float32") out[i] = view.getFloat32(i * 4, true);
    else if (dtype === "float64") out[i] = view.getFloat64(i * 8, true);
    else out[i] = view.getInt32(i * 4, true);
  }
  return out;
};

const isDimList = (s: unknown): s is number[] =>
  Array.isArray(s) && s.every((d) => Number.isSafeInteger(d) && d >= 0);

/** Element count of a shape, or undefined when it overflows the safe-integer range. */
const elementCount = (shape: readonly number[]): number | undefined => {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return undefined;
  }
  return n;
};

const checkTensorForWrite = (name: string, t: unknown): HostTensor => {
  if (!isHostTensor(t)) throw badInput(`${showName(name)} is not a host tensor`);
  if (!Object.hasOwn(SAFETENSORS_DTYPE, t.dtype)) {
    throw badInput(`${showName(name)} has unknown dtype ${JSON.stringify(t.dtype)}`);
  }
  if (!isDimList(t.shape)) {
    throw badInput(
      `${showName(name)} has shape ${JSON.stringify(t.shape)}; dims must be integers >= 0`,
    );
  }
  if (!(t.data instanceof ARRAY_CLASS[t.dtype])) {
    throw badInput(`${showName(name)} is ${t.dtype} but holds a ${t.data.constructor.name}`);
  }
  if (t.data.length !== elementCount(t.shape)) {
    throw badInput(
      `${showName(name)} has ${t.data.length} elements but shape [${t.shape.join(",")}]`,
    );
  }
  return t;
};

/**
 * Serialises named host tensors (and string metadata) to safetensors bytes. Tensors are laid out
 * widest dtype first (as the reference implementation does, keeping every tensor aligned to its
 * element size), then in the record's order.
 */
export const encodeSafetensors = (
  tensors: Readonly<Record<string, HostTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array => {
  if (Object.hasOwn(tensors, METADATA_KEY)) {
    throw badInput(`${METADATA_KEY} is reserved for metadata and cannot name a tensor`);
  }
  const entries = Object.entries(tensors).map(
    ([name, t]) => [name, checkTensorForWrite(name, t)] as const,
  );
  const meta = Object.entries(metadata ?? {});
  for (const [k, v] of meta) {
    if (typeof v !== "string") throw badInput(`metadata ${showName(k)} must be a string`);
  }
  const ordered = entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => DTYPE_BYTES[b.e[1].dtype] - DTYPE_BYTES[a.e[1].dtype] || a.i - b.i)
    .map(({ e }) => e);

  const header: Record<string, unknown> = {};
  if (meta.length > 0) header[METADATA_KEY] = Object.fromEntries(meta);
  let offset = 0;
  const placed: [HostTensor, number][] = [];
  for (const [name, t] of ordered) {
    const size = t.data.length * DTYPE_BYTES[t.dtype];
    Object.defineProperty(header, name, {
      value: {
        dtype: SAFETENSORS_DTYPE[t.dtype],
        shape: [...t.shape],
        data_offsets: [offset, offset + size],
      },
      enumerable: true,
      configurable: true,
      writable: true,
    });
    placed.push([t, offset]);
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded % 2 ** 32, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  out.set(json, 8);
  for (const [t, at] of placed) writeLittleEndian(t, out, 8 + padded + at);
  return out;
};

const isPlainRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

interface Entry {
  readonly name: string;
  /** The dtype loom reads the tensor as. */
  readonly dtype: DType;
  /** Stored as I64 (8 bytes per element), narrowed to int32 on reading. */
  readonly wide: boolean;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

/** A header deeper than this is refused before parsing; a valid one nests 3 deep (entry, object, shape). */
export const MAX_HEADER_DEPTH = 64;

const OPEN_BRACE = 0x7b;

/**
 * Refuses files that are not safetensors at all (text, images, random bytes) with that plain
 * message, rather than with whatever their first 8 bytes mean as a header length.
 */
const notSafetensors = (why: string): LoomError => invalid(`not a safetensors file: ${why}`);

/** Reads the u64 header length and checks that the header it announces is there. */
const headerLength = (bytes: Uint8Array): number => {
  if (bytes.length === 0) throw notSafetensors("it is empty");
  if (bytes.length < 8) {
    throw notSafetensors(`it is ${bytes.length} bytes, too short for the 8-byte header length`);
  }
  // Every safetensors header is a JSON object: a file whose header would not start with '{' is
  // something else, and its "header length" is only its first 8 bytes.
  if (bytes.length === 8 || bytes[8] !== OPEN_BRACE) {
    throw notSafetensors("it does not start with an 8-byte header length and a JSON header");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  // No real header is this long: random bytes that happen to have a "{" ninth are not a file of ours.
  if (n > MAX_HEADER_BYTES)
    throw notSafetensors(
      `its first 8 bytes announce a ${n}-byte header, over the ${MAX_HEADER_BYTES}-byte limit`,
    );
  if (8 + n > bytes.length) {
    throw invalid(
      `header length ${n} runs past the end of the file (${bytes.length} bytes): the file is truncated`,
    );
  }
  return n;
};

const parseHeader = (
  bytes: Uint8Array,
  int64: boolean,
): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } => {
  const n = headerLength(bytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      bytes.subarray(8, 8 + n),
    );
  } catch {
    throw invalid("header is not valid UTF-8");
  }
  if (text[text.length - 1 - trailingSpaces(text)] !== "}") {
    throw invalid("header does not end with '}' followed only by space padding");
  }
  const scan = scanHeader(text, MAX_HEADER_DEPTH);
  if (scan.depth > MAX_HEADER_DEPTH) {
    throw invalid(`header nests deeper than ${MAX_HEADER_DEPTH} levels (a valid one needs 3)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw invalid(`header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!isPlainRecord(header)) throw invalid("header is not a JSON object");
  const seen = new Set<string>();
  for (const [start, end] of scan.keys) {
    const k = JSON.parse(text.slice(start, end)) as string;
    if (seen.has(k)) throw invalid(`header names ${showName(k)} twice`);
    seen.add(k);
  }

  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (info === null) continue;
      if (!isPlainRecord(info)) throw invalid(`${METADATA_KEY} is not an object`);
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== "string")
          throw invalid(`${METADATA_KEY} value ${showName(k)} is not a string`);
      }
      metadata = Object.fromEntries(Object.entries(info as Record<string, string>));
      continue;
    }
    const where = `tensor ${showName(name)}`;
    if (!isPlainRecord(info)) throw invalid(`${where}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    const wide = int64 && dtype === "I64";
    if (!wide && (typeof dtype !== "string" || !Object.hasOwn(FROM_TAG, dtype))) {
      const known = typeof dtype === "string" && (FOREIGN_TAGS.includes(dtype) || dtype === "I64");
      throw invalid(
        `${where}: dtype ${showJson(dtype)} is not one of F32, F64, I32, ${int64 ? "I64, " : ""}BOOL${known ? " (loom does not hold it: convert the tensor to float32 or float64 before saving)" : ""}`,
      );
    }
    if (!isDimList(shape))
      throw invalid(`${where}: shape ${showJson(shape)} is not a list of integers >= 0`);
    if (!isDimList(offsets) || offsets.length !== 2 || offsets[0]! > offsets[1]!) {
      throw invalid(
        `${where}: data_offsets ${showJson(offsets)} is not [begin, end] with 0 <= begin <= end`,
      );
    }
    entries.push({
      name,
      dtype: wide ? "int32" : FROM_TAG[dtype as SafetensorsDType],
      wide,
      shape,
      begin: offsets[0]!,
      end: offsets[1]!,
    });
  }
  return { entries, metadata, dataStart: 8 + n };
};

/** Bytes per stored element: I64 entries are read as int32 but stored in 8 bytes. */
const storedBytes = (e: Entry): number => (e.wide ? 8 : DTYPE_BYTES[e.dtype]);

const formatEntry = (e: Entry): string =>
  `${e.wide ? "I64" : SAFETENSORS_DTYPE[e.dtype]}[${e.shape.join(",")}] at [${e.begin}, ${e.end})`;

/**
 * Parses and validates safetensors bytes: header length, UTF-8 JSON, unique names, known dtypes,
 * shapes, offsets that tile the data region exactly (no gaps, overlaps or trailing bytes) and
 * bool bytes of 0 or 1. Any problem is a `checkpoint_invalid` LoomError; tensors are fresh copies.
 * F16, BF16 and the other tags loom does not hold are refused by name; I64 is read only with
 * `int64` (see `DecodeSafetensorsOptions`).
 */
export const decodeSafetensors = (
  bytes: Uint8Array,
  options: DecodeSafetensorsOptions = {},
): { tensors: Record<string, HostTensor>; metadata: Record<string, string> } => {
  const { entries, metadata, dataStart } = parseHeader(bytes, options.int64 === true);
  const dataLength = bytes.length - dataStart;
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const e of byOffset) {
    const count = elementCount(e.shape);
    const expected = count === undefined ? undefined : count * storedBytes(e);
    if (expected === undefined || !Number.isSafeInteger(expected) || e.end - e.begin !== expected) {
      throw invalid(
        `tensor ${showName(e.name)}: ${formatEntry(e)} spans ${e.end - e.begin} bytes but its shape and dtype need ${expected ?? "too many"}`,
      );
    }
    if (e.begin < covered) {
      throw invalid(
        `tensor ${showName(e.name)}: ${formatEntry(e)} overlaps tensor ${showName(previous!.name)} (${formatEntry(previous!)})`,
      );
    }
    if (e.begin > covered) {
      throw invalid(
        `tensor ${showName(e.name)}: ${formatEntry(e)} leaves a gap of ${e.begin - covered} bytes before it`,
      );
    }
    if (e.end > dataLength) {
      throw invalid(
        `tensor ${showName(e.name)}: ${formatEntry(e)} runs past the end of the data (${dataLength} bytes)`,
      );
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) {
    throw invalid(
      `tensors cover ${covered} of the ${dataLength} data bytes; the file has trailing bytes`,
    );
  }
  const tensors = entries.map((e): [string, HostTensor] => {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    if (e.dtype === "bool") {
      const bad = raw.findIndex((b) => b > 1);
      if (bad >= 0)
        throw invalid(`tensor ${showName(e.name)}: bool element ${bad} is ${raw[bad]}, not 0 or 1`);
    }
    const data = e.wide
      ? narrowInt64(e.name, raw)
      : readLittleEndian(raw, e.dtype, raw.length / DTYPE_BYTES[e.dtype]);
    return [e.name, { data, shape: e.shape, dtype: e.dtype }];
  });
  return { tensors: Object.fromEntries(tensors), metadata };
};
