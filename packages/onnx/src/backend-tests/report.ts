import type { CaseResult } from "./run-case";

/** Pass, fail and unsupported counts. */
export interface Counts {
  readonly passed: number;
  readonly failed: number;
  readonly unsupported: number;
}

/** Totals, per group and per op type (a test counts for each op type its model uses). */
export interface Report extends Counts {
  readonly byGroup: Readonly<Record<string, Counts>>;
  readonly byOp: Readonly<Record<string, Counts>>;
}

const bump = (c: Counts | undefined, s: CaseResult["status"]): Counts => {
  const base = c ?? { passed: 0, failed: 0, unsupported: 0 };
  return { ...base, [s]: base[s] + 1 };
};

/** Sums results into a report. */
export const summarize = (results: readonly CaseResult[]): Report => {
  const byGroup: Record<string, Counts> = {};
  const byOp: Record<string, Counts> = {};
  let total: Counts = { passed: 0, failed: 0, unsupported: 0 };
  for (const r of results) {
    total = bump(total, r.status);
    byGroup[r.group] = bump(byGroup[r.group], r.status);
    for (const op of r.ops) byOp[op] = bump(byOp[op], r.status);
  }
  const sorted = Object.fromEntries(Object.entries(byOp).sort(([a], [b]) => a.localeCompare(b)));
  return { ...total, byGroup, byOp: sorted };
};
