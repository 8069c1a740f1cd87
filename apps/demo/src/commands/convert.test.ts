import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { HostTensor } from "@loom/graph";
import { hostTensor } from "@loom/ops";
import { readTorchStateDict, writeTorchStateDict } from "@loom/models";
import { loadCheckpoint } from "@loom/models/node";
import { runCli } from "../cli";

const dir = mkdtempSync(join(tmpdir(), "loom-convert-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const loom = async (...argv: string[]) => {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
};

/** A perceptron's state dict as PyTorch names it (`nn.Sequential(nn.Flatten(), nn.Linear(784, 10))`). */
const perceptronDict = (inFeatures = 784): Record<string, HostTensor> => ({
  "1.weight": hostTensor(
    Array.from({ length: 10 * inFeatures }, (_, i) => Math.sin(i) / 8),
    [10, inFeatures],
    "float32",
  ),
  "1.bias": hostTensor(
    Array.from({ length: 10 }, (_, i) => i / 10 - 0.5),
    [10],
    "float32",
  ),
});

const write = (name: string, dict: Record<string, HostTensor>): string => {
  const path = join(dir, name);
  writeFileSync(path, writeTorchStateDict(dict));
  return path;
};

describe("loom convert", () => {
  it("PyTorch -> loom checkpoint -> PyTorch, bit for bit", async () => {
    const torchFile = write("p.safetensors", perceptronDict());
    const to = await loom("convert", "--from", "torch", "-c", torchFile, "--model", "perceptron");
    expect(to.err).toBe("");
    expect(to.code).toBe(0);
    const loomFile = join(dir, "p.loom.safetensors");
    expect(to.out).toContain(`-> ${loomFile} (loom checkpoint)`);
    const ck = await loadCheckpoint(loomFile);
    const fc = (ck.params as { fc: { w: HostTensor } }).fc;
    expect(Array.from(fc.w.data)).toEqual(Array.from(perceptronDict()["1.weight"]!.data));

    const back = join(dir, "back.safetensors");
    const from = await loom("convert", "--to", "torch", "-c", loomFile, "--out", back);
    expect(from.err).toBe("");
    expect(from.code).toBe(0);
    const dict = readTorchStateDict(readFileSync(back));
    expect(Object.keys(dict).sort()).toEqual(["1.bias", "1.weight"]);
    for (const [k, t] of Object.entries(perceptronDict())) {
      expect(Array.from(dict[k]!.data)).toEqual(Array.from(t.data));
    }
  });

  it("reports the first mismatch on one line, naming the file", async () => {
    const bad = write("bad.safetensors", perceptronDict(783));
    const r = await loom("convert", "--from", "torch", "-c", bad, "--model", "perceptron");
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `loom: torchStateDict: ${bad}: "1.weight" has shape [10,783] in the state dict but [10,784] in perceptron (loom params.fc.w)\n`,
    );
    const lenet = await loom("convert", "--from", "torch", "-c", bad, "--model", "lenet");
    expect(lenet.err).toMatch(/missing key "0\.weight"/);
  });

  it("refuses unclear requests before writing anything", async () => {
    const torchFile = write("q.safetensors", perceptronDict());
    const cases: [string[], RegExp][] = [
      [["-c", torchFile, "--model", "perceptron"], /exactly one of --from torch and --to torch/],
      [["--from", "torch", "--to", "torch", "-c", torchFile], /exactly one of/],
      [["--from", "torch", "-c", torchFile], /--from torch needs --model/],
      [["--from", "onnx", "-c", torchFile], /argument 'onnx' is invalid/],
      [
        ["--from", "torch", "-c", torchFile, "--model", "perceptron", "--out", torchFile],
        /is the input file/,
      ],
      [
        ["--from", "torch", "-c", join(dir, "none.safetensors"), "--model", "perceptron"],
        /cannot read/,
      ],
    ];
    for (const [argv, message] of cases) {
      const r = await loom("convert", ...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err).toMatch(message);
    }
    expect(readTorchStateDict(readFileSync(torchFile))["1.bias"]!.shape).toEqual([10]);
    const fromTorch = ["convert", "--from", "torch", "-c", torchFile, "--model", "perceptron"];
    expect((await loom(...fromTorch)).code).toBe(0);
    const again = await loom(...fromTorch);
    expect(again.err).toMatch(/q\.loom\.safetensors exists; pass --overwrite/);
    expect((await loom(...fromTorch, "--overwrite")).code).toBe(0);
    const wrong = await loom(
      "convert",
      "--to",
      "torch",
      "-c",
      join(dir, "q.loom.safetensors"),
      "--model",
      "mlp",
    );
    expect(wrong.err).toMatch(/holds model perceptron, not mlp/);
  });
});
