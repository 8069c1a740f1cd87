import { ratio } from "./stats";

/** One line of the results, as printed in the `--json` summary. */
export type BenchResult = {
  readonly case: string;
  readonly impl: string;
  readonly medianMs: number;
  readonly gflops: number | null;
};

/** A measured case on one implementation: the JSON fields, how many runs, and a training step's first loss. */
export type Row = BenchResult & { readonly runs: number; readonly loss?: number };

const pad = (s: string, n: number) => s.padEnd(n);
const num = (v: number | null | undefined, digits: number) =>
  v === null || v === undefined ? "-" : v.toFixed(digits);

/** The column titles of the table. */
export const HEADER = [
  pad("case", 15),
  pad("impl", 15),
  "median ms".padStart(11),
  "runs".padStart(5),
  "GFLOP/s".padStart(9),
  "loss@1".padStart(9),
].join(" ");

/** One row of the table. */
export const formatRow = (r: Row): string =>
  [
    pad(r.case, 15),
    pad(r.impl, 15),
    num(r.medianMs, 3).padStart(11),
    String(r.runs).padStart(5),
    num(r.gflops, 2).padStart(9),
    num(r.loss, 5).padStart(9),
  ].join(" ");

/** A row without timings: a case an implementation skipped or failed, and why. */
export const formatNote = (caseName: string, impl: string, note: string): string =>
  `${pad(caseName, 15)} ${pad(impl, 15)} ${note}`;

/** The `loom / peer` lines of one case: above 1 means loom takes longer. */
export const ratioLines = (caseName: string, rows: readonly Row[]): string[] => {
  const mine = rows.filter((r) => r.case === caseName);
  const peers = mine.filter((r) => !r.impl.startsWith("loom"));
  return mine
    .filter((r) => r.impl.startsWith("loom"))
    .flatMap((l) =>
      peers.map((p) => {
        const q = ratio(l.medianMs, p.medianMs)!;
        return `${pad(caseName, 15)} ${pad(`${l.impl} / ${p.impl}`, 28)} ${q.toFixed(2).padStart(8)}x`;
      }),
    );
};

/**
 * Flags training steps whose first loss differs between implementations: every side starts
 * from the same weights and batch, so a difference means one of them computes wrongly and
 * its time is not comparable. The reference value is the first tfjs row's, else the first row's.
 */
export const lossMismatches = (rows: readonly Row[], rtol = 1e-4): string[] => {
  const byCase = new Map<string, Row[]>();
  for (const r of rows) {
    if (r.loss !== undefined) byCase.set(r.case, [...(byCase.get(r.case) ?? []), r]);
  }
  return [...byCase].flatMap(([name, rs]) => {
    const ref = rs.find((r) => r.impl.startsWith("tfjs")) ?? rs[0]!;
    const tol = rtol * Math.max(1, Math.abs(ref.loss!));
    return rs
      .filter((r) => !(Math.abs(r.loss! - ref.loss!) <= tol))
      .map(
        (r) =>
          `WARNING ${name}: ${r.impl}'s first loss ${r.loss!.toFixed(6)} differs from ${ref.impl}'s ${ref.loss!.toFixed(6)}`,
      );
  });
};
