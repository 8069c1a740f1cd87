import { describe, expect, it } from "vitest";
import { add, compile, hostTensor } from "@loom/ops";
import { checkBackend, pickBackend } from "./backends";

// `--backend auto` in Node: there is no WebGL here, so autoBackend falls back to the CPU
// backend and the CLI says which backend it picked and why.
describe("--backend auto", () => {
  it("picks the CPU backend in Node and says why", async () => {
    const said: string[] = [];
    const backend = pickBackend("auto", (m) => said.push(m));
    try {
      expect(backend.name).toBe("cpu");
      expect(said.join("")).toMatch(/^backend auto: cpu \(WebGL is not usable here: .*no canvas/);
      const f = compile(backend, ({ a }) => ({ y: add(a, a) }), { a: { shape: [2] } });
      expect(Array.from((await f.run({ a: hostTensor([1, 2], [2]) })).y.data)).toEqual([2, 4]);
    } finally {
      backend.dispose();
    }
  });

  it("is among the names an unknown backend's error lists", () => {
    expect(() => checkBackend("gpu")).toThrow(/use one of cpu, reference, auto/);
  });
});
