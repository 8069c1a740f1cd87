import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cachedBundle } from "./inspector-cache";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "loom-bundle-"));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe("the inspector bundle's cache", () => {
  it("builds once per content of the sources and rebuilds when one changes", async () => {
    const src = join(root, "src");
    const dir = join(root, "cache");
    await writeFile(join(root, "recipe.ts"), "v1");
    await mkdir(join(src, "view"), { recursive: true });
    await writeFile(join(src, "view", "a.ts"), "export const a = 1;");
    let builds = 0;
    const cache = {
      dir,
      sources: [src, join(root, "recipe.ts")],
      build: async () => ({ js: `bundle ${++builds}`, css: "b{}" }),
    };
    expect(await cachedBundle(cache)).toEqual({ js: "bundle 1", css: "b{}" });
    expect(await cachedBundle(cache)).toEqual({ js: "bundle 1", css: "b{}" });
    expect(builds).toBe(1);
    expect(await readdir(dir)).toHaveLength(1);

    await writeFile(join(src, "view", "a.ts"), "export const a = 2;");
    expect(await cachedBundle(cache)).toEqual({ js: "bundle 2", css: "b{}" });
    await writeFile(join(root, "recipe.ts"), "v2");
    expect((await cachedBundle(cache)).js).toBe("bundle 3");
    // A new file counts too, and an unreadable entry is rebuilt rather than trusted.
    await writeFile(join(src, "b.css"), "x{}");
    expect((await cachedBundle(cache)).js).toBe("bundle 4");
    const entries = await readdir(dir);
    for (const e of entries) await writeFile(join(dir, e), "{not json");
    expect((await cachedBundle(cache)).js).toBe("bundle 5");
    expect(builds).toBe(5);
  });
});
