import { describe, expect, it } from "vitest";
import { SNIPPET_DOCS, outputLineMatches, readFromRoot, syncSnippets } from "./snippets";

describe("the code in the README and the guides", () => {
  it.each(SNIPPET_DOCS)("%s: every TypeScript block is its example's code, as it is now", (doc) => {
    const text = readFromRoot(doc);
    const synced = syncSnippets(text, readFromRoot);
    expect(synced.unsourced, `${doc}: blocks with no source`).toEqual([]);
    // On failure: `pnpm snippets` rewrites the blocks from the examples.
    expect(synced.text, `${doc} differs from its examples: run pnpm snippets`).toBe(text);
  });

  it("rewrites a stale block from its region, and flags a block with no source", () => {
    const files: Record<string, string> = {
      "a.ts": "const x = 1;\n// #region r\n  const y = 2;\n    y;\n// #endregion r\n",
    };
    const stale = "<!-- snippet: a.ts#r -->\n```ts\nold\n```\n\n```ts\nloose\n```\n";
    const { text, unsourced } = syncSnippets(stale, (f) => files[f]!);
    expect(text).toBe(
      "<!-- snippet: a.ts#r -->\n```ts\nconst y = 2;\n  y;\n```\n\n```ts\nloose\n```\n",
    );
    expect(unsourced).toEqual([
      { line: 6, message: "a code block with no snippet marker above it" },
    ]);
    // Prettier's blank line between the marker and the block stays.
    expect(syncSnippets("<!-- snippet: a.ts#r -->\n\n```ts\n```", (f) => files[f]!).text).toBe(
      "<!-- snippet: a.ts#r -->\n\n```ts\nconst y = 2;\n  y;\n```",
    );
    expect(syncSnippets("<!-- snippet: a.ts -->\n```ts\n```", (f) => files[f]!).text).toBe(
      "<!-- snippet: a.ts -->\n```ts\nconst x = 1;\n  const y = 2;\n    y;\n```",
    );
  });

  it("matches a documented output line with ... standing for anything, and nothing else", () => {
    expect(outputLineMatches("dumped: a.txt ... z.txt", "dumped: a.txt b.txt z.txt")).toBe(true);
    expect(outputLineMatches("loss 0.693 -> 0.000", "loss 0.693 -> 0.000")).toBe(true);
    expect(outputLineMatches("loss 0.693 -> 0.000", "loss 0.693 -> 0.0001")).toBe(false);
    expect(outputLineMatches("a.b", "axb")).toBe(false);
  });
});
