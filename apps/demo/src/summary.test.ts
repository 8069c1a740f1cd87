import { describe, expect, it } from "vitest";
import { expectUsageError, lastJson as lastJsonOf, loom } from "./testing/run-loom";
import { parseInputShape, shortCount, withCommas } from "./commands/summary";

type SummaryJson = {
  model: string;
  params: number;
  macs: number;
  layers: { name: string; outputShape: (number | string)[]; params: number; macs: number }[];
};

const lastJson = (out: string) => lastJsonOf<SummaryJson>(out);

describe("loom summary", () => {
  it("prints LeNet-5's layers with hand-computed params and MACs", async () => {
    const { code, out, err } = await loom("summary", "lenet");
    expect(err).toBe("");
    expect(code).toBe(0);
    // conv1: 6 filters of 5x5 + 6 biases; 28x28 outputs (padding 2) of 25 MACs each.
    expect(out).toMatch(/^conv1 +\[N,6,28,28\] +156 +117,600$/m);
    expect(out).toMatch(/^pool2 +\[N,16,5,5\] +0 +0$/m);
    expect(out).toMatch(/^fc1 +\[N,120\] +48,120 +48,000$/m);
    expect(out).toMatch(/^total +61,706 +416,520$/m);
    expect(out).not.toMatch(/^\{/m);
  });

  it("prints ResNet-18 with totals and a JSON last line", async () => {
    const { code, out } = await loom("summary", "resnet18", "--json");
    expect(code).toBe(0);
    expect(out).toMatch(/^total +11,689,512 +1,814,073,344$/m);
    expect(out).toMatch(/^conv1 +\[N,64,112,112\] +9,408 +118,013,952$/m);
    expect(out).toMatch(/^11\.7 M params, 1\.81 G MACs$/m);
    const j = lastJson(out);
    expect(j.model).toBe("resnet18");
    expect(j.params).toBe(11_689_512);
    expect(j.macs).toBe(1_814_073_344);
    expect(j.layers.map((l) => l.name)).toEqual([
      "conv1",
      "bn1",
      "relu",
      "maxpool",
      "layer1.0",
      "layer1.1",
      "layer2.0",
      "layer2.1",
      "layer3.0",
      "layer3.1",
      "layer4.0",
      "layer4.1",
      "avgpool",
      "fc",
    ]);
    expect(j.layers[j.layers.length - 1]).toEqual({
      name: "fc",
      outputShape: ["N", 1000],
      params: 513_000,
      macs: 512_000,
    });
    // Every table row is in the JSON, with the same figures.
    for (const l of j.layers) {
      const row = new RegExp(
        `^${l.name.replace(/\./g, "\\.")} +\\[${l.outputShape.join(",")}\\] +${withCommas(l.params)} +${withCommas(l.macs)}$`,
        "m",
      );
      expect(out).toMatch(row);
    }
  });

  it("takes --input, --classes and --depth", async () => {
    const { code, out } = await loom(
      "summary",
      "resnet20",
      "--input",
      "3x32x32",
      "--classes",
      "100",
      "--depth",
      "1",
      "--json",
    );
    expect(code).toBe(0);
    const j = lastJson(out);
    // ResNet-20 (option A) on 3 channels: 269,722 params at 10 classes, + 90 * 65 for 100.
    expect(j.params).toBe(269_722 + 90 * 65);
    expect(j.layers.map((l) => l.name)).toEqual([
      "conv1",
      "bn1",
      "relu",
      "layer1",
      "layer2",
      "layer3",
      "avgpool",
      "fc",
    ]);
    expect(j.layers.find((l) => l.name === "layer3")!.outputShape).toEqual(["N", 64, 8, 8]);
    expect(out).toMatch(/^resnet20 on 3x32x32 inputs/);
  });

  it.each([
    [["summary", "nope"], /^loom: .*unknown model "nope"; known models: .*resnet56\n$/],
    [["summary", "vgg11", "--input", "3xx"], /^loom: .*'3xx' is invalid.*3x224x224.*\n$/],
    [["summary", "vgg11", "--classes", "0"], /^loom: .*positive integer.*\n$/],
    [
      ["summary", "alexnet", "--input", "3x32x32"],
      /^loom: alexnet: needs inputs of at least 63x63, got \[N,3,32,32\]; use a larger input\n$/,
    ],
    [["summary"], /^loom: model: name a model: a zoo model .* or your own \(--module .*\)\n$/],
  ])("exits 2 with a one-line error for %j", async (argv, message) => {
    expectUsageError(await loom(...argv), message);
  });

  it("formats counts and parses shapes", () => {
    expect([0, 999, 1000, 61_706, 4_089_184_256].map(withCommas)).toEqual([
      "0",
      "999",
      "1,000",
      "61,706",
      "4,089,184,256",
    ]);
    expect(parseInputShape("3x224x224")).toEqual([3, 224, 224]);
    expect(parseInputShape("784")).toEqual([784]);
    expect(() => parseInputShape("3x0x2")).toThrow();
  });

  it("prints exact counts with separators up to 2^53, then scientific notation", () => {
    expect(withCommas(2 ** 53)).toBe("9,007,199,254,740,992");
    expect(withCommas(2 ** 53 + 2)).toBe("9.007e+15");
    expect(withCommas(2.5599999999488e24)).toBe("2.560e+24");
    expect(withCommas(1.5)).toBe("1.500e+0");
    expect([999, 61_706, 4.09e9, 5.13e12, 1.49e15, 1.49e18, 2.56e24].map(shortCount)).toEqual([
      "999",
      "61.7 k",
      "4.09 G",
      "5.13 T",
      "1.49 P",
      "1.49e+18",
      "2.56e+24",
    ]);
  });

  it.each([
    [
      ["summary", "vgg11", "--input", "3x100000x100000"],
      "loom: summarize: input [N,3,100000,100000] would hold 3.00e+10 elements per example, over the 2^31 one tensor may hold; use a smaller input\n",
    ],
    [
      ["summary", "resnet18", "--input", "3x20000x20000"],
      // The graph refuses the node as it is built, before summarize sees the activation.
      "loom: conv2d: result f32[N,64,10000,10000] has 6,400,000,000 elements, more than the 2,147,483,647 a tensor may hold; use smaller shapes or split the work\n",
    ],
    [
      ["summary", "mlp", "--input", "1x40000x40000"],
      "loom: broadcast: result i32[256,1600000000] has 409,600,000,000 elements, more than the 2,147,483,647 a tensor may hold; use smaller shapes or split the work\n",
    ],
    [
      ["summary", "mlp", "--input", "99999999999999999999"],
      "loom: option '--input <CxHxW>' argument '99999999999999999999' is invalid. must have dimensions of at most 2,147,483,647.\n",
    ],
    [
      ["summary", "lenet", "--classes", "9999999999999"],
      "loom: option '--classes <n>' argument '9999999999999' is invalid. must be a positive integer up to 2,147,483,647.\n",
    ],
  ])("refuses absurd sizes with one line naming the size: %j", async (argv, message) => {
    const { code, out, err } = await loom(...argv);
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toBe(message);
  });

  it("prints a huge but possible model with exact totals and engineering units", async () => {
    const { code, out } = await loom("summary", "vgg16", "--input", "3x4096x4096");
    expect(code).toBe(0);
    expect(out).toMatch(/^total +138,357,544 +5,131,535,810,560$/m);
    expect(out).toMatch(/^138 M params, 5\.13 T MACs$/m);
    expect(out).not.toMatch(/\d,\d+e\+/);
  });
});
