import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * What a user outside the repository does: the published packages are built (`pnpm build`),
 * packed (`pnpm pack`, which applies each package's `publishConfig`), installed from their
 * tarballs into a fresh project with npm, and a small program is compiled with `tsc --strict`
 * under `moduleResolution` NodeNext and Bundler (no skipLibCheck: the shipped `.d.ts` must
 * check), run in Node (training, and a matmul on the CPU backend's worker threads), and
 * bundled for the browser with Vite. The consumer project is `./consumer`.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CONSUMER = fileURLToPath(new URL("./consumer/", import.meta.url));
const PNPM = join(ROOT, "scripts/pnpm.mjs");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const VITE = join(ROOT, "apps/web/node_modules/vite/bin/vite.js");
/** The packages a user installs, in dependency order. */
const PACKAGES = ["graph", "ops", "backend-cpu", "backend-webgl", "models", "loom"];

/** Runs a command; resolves with its output, rejects with it (and the exit code) on failure. */
const run = (cmd: string, args: readonly string[], cwd: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${cmd} ${args.join(" ")} (exit ${code}):\n${out}`)),
    );
  });

const node = (args: readonly string[], cwd: string) => run(process.execPath, args, cwd);

/** Every JavaScript file under `dir`. */
const jsFiles = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".js"))
    .map((f) => join(dir, f));

/** Logs how long each step took (the whole test should stay well under two minutes). */
const timer = () => {
  let last = performance.now();
  const times: string[] = [];
  return {
    lap: (what: string) => {
      const now = performance.now();
      times.push(`${what} ${((now - last) / 1000).toFixed(1)} s`);
      last = now;
    },
    report: () => console.log(`pack test: ${times.join(", ")}`),
  };
};

describe("the packed packages, installed with npm", () => {
  it("compile under NodeNext and Bundler, train and use threads in Node, bundle with Vite", async () => {
    const work = mkdtempSync(join(tmpdir(), "loom-pack-"));
    const tarballs = join(work, "tarballs");
    const app = join(work, "app");
    const t = timer();
    await node([PNPM, "run", "build"], ROOT);
    t.lap("build");
    for (const p of PACKAGES)
      await node([PNPM, "pack", "--pack-destination", tarballs], join(ROOT, "packages", p));
    const packed = readdirSync(tarballs).map((f) => join(tarballs, f));
    expect(packed).toHaveLength(PACKAGES.length);
    t.lap("pack");

    // The consumer's sources only: a developer's local install or outputs there stay out.
    const skip = /[\\/](node_modules|out|dist)$/;
    cpSync(CONSUMER, app, { recursive: true, filter: (src) => !skip.test(src) });
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    };
    const typesNode = `@types/node@${root.devDependencies["@types/node"]}`;
    await run(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", ...packed, typesNode],
      app,
    );
    t.lap("npm install");

    await Promise.all([
      node([TSC, "-p", "tsconfig.nodenext.json"], app),
      node([TSC, "-p", "tsconfig.bundler.json"], app),
    ]);
    t.lap("tsc NodeNext + Bundler");
    const trained = await node(["out/train.js"], app);
    expect(trained).toMatch(/^loss [\d.]+ -> [\d.]+ in 20 steps$/m);
    expect(trained).toMatch(/^checkpoint saved and loaded back$/m);
    expect(trained).toMatch(/^mnist: 8000 training and 2000 test digits$/m);
    expect(trained).toMatch(/^matmul 384\^3: \d+ worker threads, results bit-identical$/m);
    t.lap("node");

    await node([VITE, "build", "--logLevel", "warn"], app);
    const bundle = jsFiles(join(app, "dist"));
    expect(bundle.length).toBeGreaterThan(0);
    for (const f of bundle) {
      const js = readFileSync(f, "utf8");
      // The CPU backend names node:worker_threads only as a string for getBuiltinModule.
      expect(js).not.toMatch(/(\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']node:/);
      // The umbrella is browser-safe: MNIST's 21 MB of JSON stays out.
      expect(statSync(f).size).toBeLessThan(2_000_000);
    }
    t.lap("vite build");
    t.report();
    rmSync(work, { recursive: true, force: true });
  });
});
