import { describe, expect, it } from "vitest";
import type { Row } from "./report";
import { formatRow, HEADER, lossMismatches, ratioLines } from "./report";

const row = (impl: string, medianMs: number, loss?: number): Row => ({
  case: "mlp-step",
  impl,
  medianMs,
  gflops: null,
  runs: 3,
  loss,
});

describe("ratioLines", () => {
  it("divides every loom implementation's time by every peer's", () => {
    const rows = [
      row("loom-cpu", 30),
      row("loom-reference", 300),
      row("tfjs-cpu", 10),
      row("tfjs-wasm", 60),
      { ...row("tfjs-cpu", 1), case: "other" },
    ];
    const lines = ratioLines("mlp-step", rows);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/loom-cpu \/ tfjs-cpu\s+3\.00x$/);
    expect(lines[1]).toMatch(/loom-cpu \/ tfjs-wasm\s+0\.50x$/);
    expect(lines[2]).toMatch(/loom-reference \/ tfjs-cpu\s+30\.00x$/);
    expect(lines[3]).toMatch(/loom-reference \/ tfjs-wasm\s+5\.00x$/);
  });

  it("prints nothing for a case without a peer", () => {
    expect(ratioLines("mlp-step", [row("loom-cpu", 3)])).toEqual([]);
  });
});

describe("lossMismatches", () => {
  it("accepts first losses that agree to the tolerance", () => {
    const rows = [
      row("loom-cpu", 1, 2.33234),
      row("tfjs-cpu", 1, 2.332345),
      row("tfjs-wasm", 1, 2.33234),
    ];
    expect(lossMismatches(rows)).toEqual([]);
  });

  it("names the implementation whose first loss differs from tfjs's", () => {
    const rows = [
      row("loom-cpu", 1, 2.29354),
      row("loom-reference", 1, 2.33234),
      row("tfjs-cpu", 1, 2.33234),
    ];
    const lines = lossMismatches(rows);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("loom-cpu's first loss 2.293540 differs from tfjs-cpu's 2.332340");
  });

  it("flags a NaN loss", () => {
    expect(lossMismatches([row("loom-cpu", 1, NaN), row("tfjs-cpu", 1, 2.3)])).toHaveLength(1);
  });
});

describe("formatRow", () => {
  it("lines up with the header and shows '-' for missing values", () => {
    const line = formatRow(row("loom-cpu", 12.3456, undefined));
    expect(line).toHaveLength(HEADER.length);
    expect(line).toMatch(/^mlp-step\s+loom-cpu\s+12\.346\s+3\s+-\s+-$/);
  });
});
