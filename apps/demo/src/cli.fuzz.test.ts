import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import { getModel, initModel, runMeta } from "@loom/models";
import { saveCheckpoint } from "@loom/models/node";
import { makeProgram, runCli } from "./cli";

// Random argv for every command, run in-process as a dry run (the real parsing and validation of
// each command, then a stop before any data is loaded, model run or file written): each must
// exit 0, or exit 2 with one `loom: ...` line; never throw anything else, hang, or take 1 s.

const dir = mkdtempSync(join(tmpdir(), "loom-cli-fuzz-"));
const checkpoint = join(dir, "perceptron.safetensors");
const notPng = join(dir, "notes.txt");

beforeAll(async () => {
  const { layer, input } = getModel("perceptron");
  const vars = await initModel(cpuBackend(), layer, 0, { shape: ["N", ...input] });
  const config = { model: "perceptron", dropout: 0, batchNorm: false, optimizer: "adam" };
  await saveCheckpoint(checkpoint, { ...vars, step: 0, meta: runMeta(config, 1, 0) });
  writeFileSync(notPng, "not a png\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const silent = { out: () => undefined, err: () => undefined };

/** Every command with its flags, long and short, read from the program itself. */
const COMMANDS = makeProgram(silent).commands.map((c) => ({
  name: c.name(),
  flags: c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)),
}));

/** Values that broke parsers before, or are at the edges of what a number or a name can be. */
const EDGE_VALUES = [
  "",
  " ",
  "-",
  "--",
  "-0",
  "0",
  "1",
  "2",
  "-1",
  "1.5",
  "0x10",
  "1e3",
  "1e300",
  "1e309",
  "-1e309",
  "Infinity",
  "NaN",
  "9007199254740993",
  "99999999999999999999999",
  "mlp",
  "lenet",
  "perceptron",
  "resnet50",
  "adam",
  "sgd",
  "cpu",
  "reference",
  "webgl",
  "toString",
  "__proto__",
  "constructor",
  "shift:1000",
  "shift:10000",
  "shift:1e9",
  "crop:100000",
  "shift:2,rotate:10",
  "scale:0:1e9",
  "jitter:1:1",
  "exp:",
  "step:0.5:0",
  "cosine+warmup:1e309",
  "3x224x224",
  "3x100000x100000",
  "1x28x28",
  "conv1",
  "act1",
  "fused",
  "json",
  "\u0000",
  "a\u0000b",
  "𝕃𝕠𝕠𝕞",
  "\u202e",
  "/nonexistent/x.safetensors",
  "/",
  ".",
  checkpoint,
  notPng,
  join(dir, "out.png"),
  join(dir, "perceptron.safetensors.lock"),
];

const value = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_VALUES) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
  // Random names inside the fuzz directory only: nothing is written, but be safe.
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map((s) => join(dir, s)) },
);

/** A command's argv: its name, then flags (some as `--flag=value`) and values in any order. */
const argvFor = (name: string, flags: readonly string[]) =>
  fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...flags).map((f) => [f]) },
        { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...flags), value).map((t) => [...t]) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom(...flags.filter((f) => f.startsWith("--"))), value)
            .map(([f, v]) => [`${f}=${v}`]),
        },
        { weight: 1, arbitrary: value.map((v) => [v]) },
      ),
      { maxLength: 8 },
    )
    .map((parts) => [name, ...parts.flat()]);

/** Runs one argv as a dry run and checks the contract; returns the exit code. */
const check = async (argv: readonly string[]): Promise<number> => {
  let out = "";
  let err = "";
  const t0 = performance.now();
  const code = await runCli(
    argv,
    { out: (s) => void (out += s), err: (s) => void (err += s) },
    { dryRun: true },
  );
  const ms = performance.now() - t0;
  expect(ms, `${JSON.stringify(argv)} took ${ms.toFixed(0)} ms`).toBeLessThan(1000);
  expect([0, 2], `${JSON.stringify(argv)}: ${err}`).toContain(code);
  if (code === 2) {
    expect(err, JSON.stringify(argv)).toMatch(/^loom: [^\n]+\n$/);
    expect(out).toBe("");
  } else expect(err).toBe("");
  return code;
};

describe("CLI argument fuzzing (dry run)", () => {
  it.each(COMMANDS.map((c) => [c.name, c.flags] as const))(
    "loom %s answers every random argv with exit 0, or exit 2 and one line",
    async (name, flags) => {
      const codes = new Set<number>();
      await fc.assert(
        fc.asyncProperty(argvFor(name, flags), async (argv) => void codes.add(await check(argv))),
        { numRuns: 2000, seed: 11 },
      );
      // Both answers occur, so the fuzz reaches past the parsing into the validation.
      expect([...codes].sort()).toEqual([0, 2]);
    },
  );

  it("answers random commands and top-level flags the same way", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(value, fc.constantFrom("--help", "-h", "help", "--version")), {
          maxLength: 4,
        }),
        async (argv) => void (await check(argv)),
      ),
      { numRuns: 2000, seed: 11 },
    );
  });

  it("a dry run accepts valid argv of every command without running it", async () => {
    const valid = [
      ["inspect", "--model", "resnet50", "--train", "--stage", "planned"],
      ["summary", "resnet50", "--input", "3x224x224"],
      ["train", "--model", "lenet", "--epochs", "100", "--augment", "shift:2,rotate:10"],
      ["evaluate", "--checkpoint", checkpoint],
      ["features", "--checkpoint", checkpoint, "--out", join(dir, "maps.png")],
    ];
    for (const argv of valid) expect(await check(argv), JSON.stringify(argv)).toBe(0);
  });
});
