import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";

/** The inspector's script and stylesheet, as `loom inspect --format html` inlines them. */
export interface InspectorBundle {
  readonly js: string;
  readonly css: string;
}

/** Where and from what a bundle is cached. */
export interface BundleCache {
  /** The folder holding one `<hash>.json` per built bundle. */
  readonly dir: string;
  /** Files and folders whose contents the bundle is built from (their hash names the entry). */
  readonly sources: readonly string[];
  /** Builds the bundle when no entry has the sources' hash. */
  readonly build: () => Promise<InspectorBundle>;
}

/** Every file under `path` (or `path` itself), in a stable order. */
const filesOf = async (path: string): Promise<string[]> => {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => undefined);
  if (entries === undefined) return [path];
  const nested = await Promise.all(
    entries
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => (e.isDirectory() ? filesOf(join(path, e.name)) : [join(path, e.name)])),
  );
  return nested.flat();
};

/** The SHA-256 of the sources' names and contents: equal exactly when the bundle would be. */
export const sourcesHash = async (sources: readonly string[]): Promise<string> => {
  const hash = createHash("sha256");
  for (const root of sources)
    for (const file of await filesOf(root)) {
      hash.update(`${relative(root, file)}\0`);
      hash.update(await readFile(file));
      hash.update("\0");
    }
  return hash.digest("hex").slice(0, 32);
};

/** A cache entry's bundle, or undefined when the entry is damaged (then it is rebuilt). */
const parseBundle = (text: string): InspectorBundle | undefined => {
  try {
    const b = JSON.parse(text) as Partial<InspectorBundle>;
    return typeof b.js === "string" && typeof b.css === "string"
      ? { js: b.js, css: b.css }
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The bundle for the sources' current contents: read from the cache when built before, else
 * built once and stored (written aside and renamed, so a concurrent reader never sees half of it).
 */
export const cachedBundle = async (cache: BundleCache): Promise<InspectorBundle> => {
  const file = join(cache.dir, `${await sourcesHash(cache.sources)}.json`);
  const hit = await readFile(file, "utf8").then(parseBundle, () => undefined);
  if (hit !== undefined) return hit;
  const bundle = await cache.build();
  await mkdir(cache.dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(bundle));
  await rename(tmp, file);
  return bundle;
};
