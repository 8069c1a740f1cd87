/**
 * The guides' and the README's code comes from programs that run: a Markdown line
 * `<!-- snippet: examples/xor/src/main.ts#train -->` followed by a fenced code block says
 * the block is the region `train` of that file (between `// #region train` and
 * `// #endregion train`, dedented), or the whole file without `#...`. `syncSnippets` rewrites
 * the blocks from their files; `snippets.test.ts` fails when a block differs from its file or a
 * TypeScript block has no source. `pnpm snippets` rewrites every guide after an example changes.
 * A line `<!-- output: examples/xor -->` before a text block says the block is what that
 * example prints when run without arguments: `examples.test.ts` checks every such line against
 * the example's output (`...` in a line matches anything).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The Markdown files whose code blocks come from examples: the README and every guide. */
export const SNIPPET_DOCS = [
  "README.md",
  "docs/getting-started.md",
  "docs/models-and-state.md",
  "docs/training.md",
  "docs/backends.md",
  "docs/inspecting.md",
  "docs/checkpoints-and-interop.md",
] as const;

const MARKER = /^<!-- snippet: ([^#\s]+)(?:#([\w-]+))? -->$/;
const REGION_LINE = /^\s*\/\/ #(end)?region\b/;

/** Removes the indentation all non-blank lines share. */
const dedent = (lines: readonly string[]): string[] => {
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length === 0 ? 0 : Math.min(...indents);
  return lines.map((l) => l.slice(cut));
};

/** The text of a file's region (without region marker lines), or the whole file. */
export const regionOf = (source: string, file: string, region?: string): string => {
  const lines = source.replace(/\n$/, "").split("\n");
  if (region === undefined) return lines.filter((l) => !REGION_LINE.test(l)).join("\n");
  const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
  const end = lines.findIndex((l) => l.trim() === `// #endregion ${region}`);
  if (start < 0 || end < start) throw new Error(`${file} has no region "${region}"`);
  return dedent(lines.slice(start + 1, end).filter((l) => !REGION_LINE.test(l))).join("\n");
};

/** A problem found in a Markdown file: where, and what. */
export interface SnippetProblem {
  readonly line: number;
  readonly message: string;
}

/**
 * Rewrites every marked code block of a Markdown text from its source (read by `read`, a path
 * relative to the repository root), and lists the TypeScript blocks that have no marker.
 */
export const syncSnippets = (
  markdown: string,
  read: (file: string) => string,
): { text: string; unsourced: SnippetProblem[] } => {
  const lines = markdown.split("\n");
  const out: string[] = [];
  const unsourced: SnippetProblem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]!);
    const fence = /^```(\w*)$/.exec(lines[i]!);
    if (fence && ["ts", "typescript", "js"].includes(fence[1]!))
      unsourced.push({ line: i + 1, message: "a code block with no snippet marker above it" });
    out.push(lines[i]!);
    if (fence) {
      // Skip the block's body and its closing fence: a marker-less block is copied as it is.
      while (++i < lines.length && lines[i] !== "```") out.push(lines[i]!);
      if (i < lines.length) out.push(lines[i]!);
    }
    if (!marker) continue;
    // Prettier puts a blank line between the marker and the block.
    const at = lines[i + 1] === "" ? i + 2 : i + 1;
    const open = lines[at] ?? "";
    if (!/^```\w+$/.test(open))
      throw new Error(`line ${i + 1}: a snippet marker needs a fenced block below it`);
    let close = at + 1;
    while (close < lines.length && lines[close] !== "```") close++;
    const body = regionOf(read(marker[1]!), marker[1]!, marker[2]);
    out.push(...lines.slice(i + 1, at), open, body, "```");
    i = close;
  }
  return { text: out.join("\n"), unsourced };
};

/** A text block of a Markdown file that shows what an example prints. */
export interface OutputBlock {
  readonly doc: string;
  /** The example's folder, e.g. `examples/xor`. */
  readonly example: string;
  readonly lines: readonly string[];
}

/** The output blocks of the README and the guides. */
export const outputBlocks = (read: (file: string) => string): OutputBlock[] =>
  SNIPPET_DOCS.flatMap((doc) => {
    const lines = read(doc).split("\n");
    return lines.flatMap((l, i) => {
      const m = /^<!-- output: (\S+) -->$/.exec(l);
      if (!m) return [];
      const open = lines.findIndex((x, j) => j > i && x.startsWith("```"));
      const end = lines.indexOf("```", open + 1);
      return [{ doc, example: m[1]!, lines: lines.slice(open + 1, end) }];
    });
  });

/** Whether a documented output line matches a printed line, `...` standing for anything. */
export const outputLineMatches = (documented: string, printed: string): boolean =>
  new RegExp(
    `^${documented
      .split("...")
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(printed);

/** Reads a file relative to the repository root. */
export const readFromRoot = (file: string): string => readFileSync(join(ROOT, file), "utf8");

// `tsx scripts/snippets.ts`: rewrite every guide's blocks from their sources.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const doc of SNIPPET_DOCS) {
    const before = readFromRoot(doc);
    const { text } = syncSnippets(before, readFromRoot);
    if (text !== before) {
      writeFileSync(join(ROOT, doc), text);
      console.log(`updated ${doc}`);
    }
  }
}
