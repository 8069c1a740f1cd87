import { describe, expect, it } from "vitest";
import { runInChromium } from "./browser";

// `pnpm bench --browser` end to end on two small cases: the page builds, both WebGL
// implementations run in Chromium, and their first training-step losses agree (same weights,
// same batch), so their times are comparable. No timing is asserted.
describe("the browser bench", () => {
  it("runs loom-webgl and tfjs-webgl in Chromium with equal first losses", async () => {
    const lines: string[] = [];
    const r = await runInChromium({
      filter: "mlp-step",
      impl: "",
      quick: true,
      out: (l) => lines.push(l),
      log: () => undefined,
    });
    expect(r.failures).toBe(0);
    const byImpl = Object.fromEntries(r.rows.map((row) => [row.impl, row]));
    expect(Object.keys(byImpl).sort()).toEqual(["loom-webgl", "tfjs-webgl"]);
    for (const row of r.rows) expect(row.medianMs).toBeGreaterThan(0);
    const [a, b] = [byImpl["loom-webgl"]!.loss!, byImpl["tfjs-webgl"]!.loss!];
    expect(Math.abs(a - b)).toBeLessThan(1e-4 * Math.max(1, Math.abs(b)));
    expect(lines.filter((l) => l.startsWith("mlp-step"))).toHaveLength(2);
  }, 180_000);
});
