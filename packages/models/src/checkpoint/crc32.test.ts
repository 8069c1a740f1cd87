import { describe, expect, it } from "vitest";
import { crc32 } from "./crc32";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("crc32", () => {
  it("matches the standard check values", () => {
    expect(crc32(bytes("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(bytes("The quick brown fox jumps over the lazy dog"))).toBe(0x414fa339);
  });

  it("continues across pieces", () => {
    expect(crc32(bytes("56789"), crc32(bytes("1234")))).toBe(0xcbf43926);
  });
});
