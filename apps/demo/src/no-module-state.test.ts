import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// No module-level mutable state in library code: caches, counters, pools and sinks belong to
// the object whose dispose() empties them, or to an option. This checks it by grepping every
// library source file (packages/*/src, tests and @loom/testing excluded) for a top-level `let`
// and a top-level `const x = new Map|Set|WeakMap|Array(` or a typed array (`new Float64Array(`,
// `new Int32Array(`, ...: scratch buffers belong to a kernel instance). A constant lookup table typed
// `ReadonlySet`/`ReadonlyMap`/`readonly T[]` is allowed: its type forbids writes.

const root = join(import.meta.dirname, "../../..");

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : sources(p);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });

const libraryFiles = (): string[] =>
  readdirSync(join(root, "packages"))
    .filter((p) => p !== "testing")
    .flatMap((p) => {
      try {
        return sources(join(root, "packages", p, "src"));
      } catch {
        return [];
      }
    });

const TOP_LET = /^(export )?let /;
const TOP_NEW =
  /^(export )?const [\w$]+(?<type>: [^=]+)? = new (Map|Set|WeakMap|Array|(Big)?(Int|Uint|Float)(8|16|32|64)(Clamped)?Array|(Shared)?ArrayBuffer)\b/;

/** The text after the parenthesised arguments that open `rest` (all of it if they never close). */
const afterCall = (rest: string): string => {
  let depth = 0;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "(") depth++;
    else if (rest[i] === ")" && --depth === 0) return rest.slice(i + 1);
  }
  return "";
};

/**
 * The offending top-level lines of a source text, as `line: text`. Lines inside a template
 * literal (a worker's program text) are not module code; a `new` whose result is only read
 * (`new Uint8Array(...)[0] === 1`) keeps no state.
 */
const moduleState = (text: string): string[] => {
  let inTemplate = false;
  return text.split("\n").flatMap((line, i) => {
    const code = !inTemplate;
    if ((line.match(/(?<!\\)`/g)?.length ?? 0) % 2 === 1) inTemplate = !inTemplate;
    if (!code) return [];
    const m = TOP_NEW.exec(line);
    const readonlyTable =
      m?.groups?.["type"] !== undefined && /Readonly|readonly/.test(m.groups["type"]);
    const kept = m !== null && /^\s*;?\s*$/.test(afterCall(line.slice(m.index + m[0].length)));
    return TOP_LET.test(line) || (kept && !readonlyTable) ? [`${i + 1}: ${line}`] : [];
  });
};

describe("library source", () => {
  it("has no module-level mutable state (top-level let, or a top-level new Map/Set/WeakMap/Array or typed array)", () => {
    const files = libraryFiles();
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) =>
      moduleState(readFileSync(f, "utf8")).map((l) => `${relative(root, f)}:${l}`),
    );
    expect(found).toEqual([]);
  });

  it("catches what it is meant to catch", () => {
    expect(
      moduleState("let n = 0;\nexport let m = 1;\nconst c = new Map<string, number>();"),
    ).toHaveLength(3);
    expect(
      moduleState("const w: WeakMap<object, 1> = new WeakMap();\nexport const a = new Array(3);"),
    ).toHaveLength(2);
    expect(
      moduleState(
        "const SV = new Float64Array(2);\nexport const TAB = new Int32Array(1 << 15);\nconst B = new Uint8ClampedArray(4);\nconst S = new SharedArrayBuffer(8);",
      ),
    ).toHaveLength(4);
    expect(
      moduleState(
        "const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;\nconst SRC = `\nconst ctl = new Int32Array(b);\n`;",
      ),
    ).toEqual([]);
    expect(moduleState("const T: ReadonlySet<string> = new Set(['a']);\n  let local = 0;")).toEqual(
      [],
    );
  });
});
