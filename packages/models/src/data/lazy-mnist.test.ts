import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL(".", import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx");

/** Runs `code` as an ES module in a fresh Node process (with tsx for the TypeScript sources); returns its stdout. */
const inChild = (code: string): string =>
  execFileSync(process.execPath, ["--import", tsx, "--input-type=module", "-e", code], {
    cwd: here,
    encoding: "utf8",
  });

/** JS that prints whether the `mnist` package's main file is in the CommonJS module cache. */
const PRINT_LOADED = `
  import { createRequire } from "node:module";
  const cache = createRequire(import.meta.url).cache;
  console.log(Object.keys(cache).some((k) => /[\\\\/]mnist[\\\\/]src[\\\\/]mnist\\.js$/.test(k)));
`;

// Before: importing @loom/models parsed the 21 MB `mnist` package (about 0.5 s) at import time.
describe("the main entry loads mnist lazily", () => {
  it("importing @loom/models does not load the mnist package; loadMnist does", () => {
    const entry = new URL("../index.ts", import.meta.url).href;
    expect(inChild(`await import(${JSON.stringify(entry)});\n${PRINT_LOADED}`).trim()).toBe(
      "false",
    );
    const out = inChild(
      `const m = await import(${JSON.stringify(entry)});\nconst { train, test } = m.loadMnist();\nconsole.log(train.count + test.count);\n${PRINT_LOADED}`,
    );
    expect(out.trim().split("\n")).toEqual(["10000", "true"]);
  }, 60_000);
});
