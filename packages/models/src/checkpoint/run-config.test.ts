import { describe, expect, it } from "vitest";
import { LoomError } from "@loom/graph";
import { configOf, RUN_META, runMeta, runProgressOf } from "./run-config";

describe("a run's checkpoint metadata", () => {
  it("writes the configuration, the epoch and the seed, and reads the configuration back", () => {
    const config = { model: "lenet", dropout: 0.25, batchNorm: true, optimizer: "adamw" };
    const meta = runMeta(config, 3, 42);
    expect(meta).toEqual({
      config: '{"model":"lenet","dropout":0.25,"batchNorm":true,"optimizer":"adamw"}',
      epoch: "3",
      seed: "42",
    });
    expect(configOf(meta, "a.safetensors")).toEqual(config);
    expect(RUN_META.config).toBe("config");
  });

  it("fills in the defaults of older files and drops unknown keys", () => {
    expect(configOf({ config: '{"model":"mlp","extra":1}' }, "f")).toEqual({
      model: "mlp",
      dropout: 0,
      batchNorm: false,
    });
  });

  it("refuses metadata without a usable configuration, naming the file", () => {
    for (const config of [
      undefined,
      "",
      "not json",
      "null",
      "[]",
      '{"model":3}',
      '{"model":"mlp","dropout":"x"}',
    ]) {
      const meta: Record<string, string> = config === undefined ? {} : { config };
      expect(() => configOf(meta, "b.safetensors")).toThrow(LoomError);
      expect(() => configOf(meta, "b.safetensors")).toThrow(
        /b\.safetensors has no loom model configuration/,
      );
    }
  });

  it("reads the epoch and seed as whole numbers, 0 when absent, and refuses anything else", () => {
    const config = { model: "mlp", dropout: 0, batchNorm: false };
    expect(runProgressOf(runMeta(config, 3, 42), "f")).toEqual({ epoch: 3, seed: 42 });
    expect(runProgressOf({}, "f")).toEqual({ epoch: 0, seed: 0 });
    for (const [key, value] of [
      ["epoch", "garbage"],
      ["epoch", "NaN"],
      ["epoch", "-3"],
      ["epoch", "0x10"],
      ["epoch", " 3"],
      ["seed", "9007199254740993"],
      ["seed", "1.5"],
    ]) {
      const meta = { ...runMeta(config, 3, 42), [key!]: value! };
      for (const read of [runProgressOf, configOf]) {
        expect(() => read(meta, "c.safetensors")).toThrow(LoomError);
        expect(() => read(meta, "c.safetensors")).toThrow(
          `c.safetensors: metadata ${key} is ${JSON.stringify(value)}, not a whole number`,
        );
      }
    }
  });
});
