import { describe, expect, it } from "vitest";
import { expectUsageError, lastJson, loom } from "./testing/run-loom";

const MODULE = "apps/demo/src/testing/user-model.ts";
/** The module's `cnn` factory on 1x8x8 examples. */
const CNN = ["--module", MODULE, "--export", "cnn", "--input", "1x8x8"];

describe("loom summary and inspect on a user's module", () => {
  it("summarises an exported factory with --input, with hand-computed params and MACs", async () => {
    const { code, out, err } = await loom("summary", ...CNN, "--json");
    expect(err).toBe("");
    expect(code).toBe(0);
    // conv: 4 filters of 3x3 + 4 biases = 40 params; 6x6 outputs of 9 MACs each: 4*36*9 = 1296.
    expect(out).toMatch(/^conv +\[N,4,6,6\] +40 +1,296$/m);
    // fc: 4*3*3 = 36 inputs -> 10: 370 params, 360 MACs.
    expect(out).toMatch(/^fc +\[N,10\] +370 +360$/m);
    const j = lastJson<{ model: string; params: number }>(out);
    expect(j).toMatchObject({ model: `${MODULE}#cnn`, params: 410 });
  });

  it("takes the default export, a layer export, or an entry carrying its input shape", async () => {
    const byDefault = await loom("summary", "--module", MODULE, "--input", "1x8x8");
    expect(byDefault.out).toMatch(/^total +410 +1,656$/m);
    const layer = await loom(
      "summary",
      "--module",
      MODULE,
      "--export",
      "layer",
      "--input",
      "1x8x8",
    );
    const entry = await loom("summary", "--module", MODULE, "--export", "withInput");
    expect(layer.code).toBe(0);
    expect(entry.code).toBe(0);
    expect(entry.out.split("\n").slice(1)).toEqual(layer.out.split("\n").slice(1));
    expect(entry.out.split("\n").slice(1)).toEqual(byDefault.out.split("\n").slice(1));
  });

  it("inspects the module's graph through the pipeline's stages", async () => {
    const r = await loom("inspect", ...CNN, "--stage", "fused", "--json");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const j = lastJson<{ model: string; stages: { name: string; kernels: number }[] }>(r.out);
    expect(j.model).toBe(`${MODULE}#cnn`);
    expect(j.stages.map((s) => s.name)).toContain("fuse");
    // conv (bias and ReLU as its epilogue), pool, dense: fusion leaves at most 4 kernels.
    const fused = j.stages.find((s) => s.name === "fuse")!;
    expect(fused.kernels).toBeLessThanOrEqual(4);
  });

  it("says what is wrong with a bad module, export or missing shape", async () => {
    expectUsageError(
      await loom("summary", "--module", MODULE, "--export", "nope", "--input", "1x8x8"),
      /has no export "nope"; its exports: .*cnn.*choose one with --export/,
    );
    expectUsageError(
      await loom("summary", "--module", MODULE, "--export", "cnn"),
      /give --input, e.g. --input 1x28x28/,
    );
    expectUsageError(
      await loom("summary", "--module", MODULE, "--export", "uncalled"),
      /a layer factory must be called \(nn.relu\(\), not nn.relu\)/,
    );
    expectUsageError(
      await loom("summary", "--module", MODULE, "--export", "notAModel", "--input", "1x8x8"),
      /is 42; expected a layer/,
    );
    expectUsageError(
      await loom("summary", "--module", "./no/such.ts", "--input", "1x8x8"),
      /cannot load/,
    );
    expectUsageError(await loom("inspect"), /name a model: a zoo model/);
    expectUsageError(
      await loom("summary", "lenet", "--module", MODULE),
      /either a zoo model or --module, not both/,
    );
  });
});
