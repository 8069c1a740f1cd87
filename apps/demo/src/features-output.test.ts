import { existsSync, lstatSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpuBackend } from "@loom/backend-cpu";
import { getModel, initModel, runMeta } from "@loom/models";
import { saveCheckpoint } from "@loom/models/node";
import { runCli } from "./cli";
import { canonicalPath, PNG_SIGNATURE, startsWithPng } from "./output-paths";

// `loom features` never writes over its own checkpoint (or a link to it), never replaces a file
// that is not a PNG without --overwrite, and writes its PNGs atomically.

const loom = async (...argv: string[]) => {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
};

describe("loom features' output files", () => {
  let dir: string;
  let ck: string;
  let ckBytes: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "loom-features-out-"));
    ck = join(dir, "lenet.safetensors");
    const { layer, input } = getModel("lenet");
    const vars = await initModel(cpuBackend(), layer, 3, { shape: ["N", ...input] });
    const config = { model: "lenet", dropout: 0, batchNorm: false, optimizer: "adam" };
    await saveCheckpoint(ck, { ...vars, step: 0, meta: runMeta(config, 0, 3) });
    ckBytes = await readFile(ck);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Expects exit 2 with one line naming `message`, and the checkpoint byte for byte as it was. */
  const expectRefused = async (argv: string[], message: RegExp) => {
    const r = await loom("features", "--checkpoint", ck, ...argv);
    expect(r.code, r.err).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^loom: [^\n]+\n$/);
    expect(r.err).toMatch(message);
    expect((await readFile(ck)).equals(ckBytes)).toBe(true);
  };

  it("refuses --out or --filters equal to the checkpoint it reads", async () => {
    await expectRefused(
      ["--out", ck],
      /--out .*lenet\.safetensors is the same file as --checkpoint/,
    );
    await expectRefused(
      ["--out", join(dir, "maps.png"), "--filters", ck],
      /--filters .*lenet\.safetensors is the same file as --checkpoint/,
    );
    // The same file by another spelling.
    await expectRefused(
      ["--out", `${dir}/missing/../lenet.safetensors`],
      /is the same file as --checkpoint/,
    );
    expect(existsSync(join(dir, "maps.png"))).toBe(false);
  });

  it("refuses an output that is a link to the checkpoint", async () => {
    const link = join(dir, "link.png");
    await symlink(ck, link);
    await expectRefused(["--out", link], /--out .*link\.png is the same file as --checkpoint/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    await rm(link);
  });

  it("refuses --out and --filters naming one file", async () => {
    const same = join(dir, "same.png");
    await expectRefused(
      ["--out", same, "--filters", same],
      /--filters .*same\.png is the same file as --out/,
    );
  });

  it("refuses to replace an existing file that is not a PNG unless --overwrite", async () => {
    const notes = join(dir, "notes.txt");
    await writeFile(notes, "my notes\n");
    await expectRefused(
      ["--out", notes],
      /--out .*notes\.txt exists and is not a PNG; pass --overwrite to replace it/,
    );
    expect(await readFile(notes, "utf8")).toBe("my notes\n");
    const r = await loom("features", "--checkpoint", ck, "--out", notes, "--overwrite");
    expect(r.code, r.err).toBe(0);
    expect(startsWithPng(notes)).toBe(true);
  });

  it("replaces an earlier PNG freely, atomically, leaving no temp file, and writes through links", async () => {
    const out = join(dir, "maps.png");
    const first = await loom("features", "--checkpoint", ck, "--out", out, "--layer", "act1");
    expect(first.code, first.err).toBe(0);
    const filtersTarget = join(dir, "filters-target.png");
    await writeFile(filtersTarget, Buffer.concat([PNG_SIGNATURE, Buffer.from("old")]));
    const filtersLink = join(dir, "filters-link.png");
    await symlink(filtersTarget, filtersLink);
    const second = await loom(
      "features",
      "--checkpoint",
      ck,
      "--out",
      out,
      "--layer",
      "pool1",
      "--filters",
      filtersLink,
    );
    expect(second.code, second.err).toBe(0);
    expect(PNG.sync.read(await readFile(out)).width).toBeGreaterThan(6);
    expect(lstatSync(filtersLink).isSymbolicLink()).toBe(true);
    expect(PNG.sync.read(await readFile(filtersTarget)).width).toBeGreaterThan(15);
    expect((await readdir(dir)).filter((n) => n.includes(".tmp-"))).toEqual([]);
    expect((await readFile(ck)).equals(ckBytes)).toBe(true);
  });

  it("compares paths through links and relative spellings", () => {
    expect(canonicalPath(`${dir}/./lenet.safetensors`)).toBe(canonicalPath(ck));
    expect(canonicalPath(`${dir}/missing/../x.png`)).toBe(canonicalPath(join(dir, "x.png")));
  });
});
