import { LoomError } from "@loom/graph";

/**
 * Reads little-endian I64 elements (PyTorch's integer buffers, e.g. batch norm's
 * `num_batches_tracked`) as int32, refusing a value outside int32's range rather than wrapping it.
 */
export const narrowInt64 = (name: string, raw: Uint8Array): Int32Array => {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Int32Array(raw.length / 8);
  for (let i = 0; i < out.length; i++) {
    const v = view.getBigInt64(i * 8, true);
    if (v < -2147483648n || v > 2147483647n) {
      throw new LoomError(
        "checkpoint_invalid",
        "checkpoint",
        `tensor ${JSON.stringify(name)}: I64 element ${i} is ${v}, outside int32's range`,
      );
    }
    out[i] = Number(v);
  }
  return out;
};
