import { expect } from "vitest";
import { runCli } from "../cli";

// What the CLI's tests share (imported by tests only): running `loom` in-process and reading
// what it wrote.

/** What one in-process run of the CLI returned and wrote. */
export interface LoomRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the CLI in-process with `argv`, capturing what it writes to stdout and stderr. */
export const loom = async (...argv: string[]): Promise<LoomRun> => {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
};

/** The last line of `out` parsed as JSON (what `--json` prints after the human-readable lines). */
export const lastJson = <T = Record<string, unknown>>(out: string): T =>
  JSON.parse(out.trimEnd().split("\n").at(-1)!) as T;

/** Expects exit 2 with one `loom: ...` line on stderr matching `message`, and nothing on stdout. */
export const expectUsageError = (r: LoomRun, message: RegExp): void => {
  expect(r.code, r.err).toBe(2);
  expect(r.out).toBe("");
  expect(r.err).toMatch(/^loom: [^\n]+\n$/);
  expect(r.err).toMatch(message);
};
