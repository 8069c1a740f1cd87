import { webglBackend } from "@loom/backend-webgl";
import { selectCases } from "../cases";
import { loomImpl } from "../loom";
import { tfImpl } from "../peers-tf";
import type { Row } from "../report";
import { runCases } from "../run";

// The browser half of `pnpm bench --browser`: loom's WebGL backend and tfjs-webgl on the same
// cases, timed by the same loop as in Node. The Node driver (../browser.ts) exposes `benchOut`
// and `benchLog`, so rows print as they are measured.

/** What the driver asks for: the same filters as the command line. */
export interface BrowserBenchOptions {
  readonly filter: string;
  readonly impl: string;
  readonly quick: boolean;
}

/** What the page hands back. */
export interface BrowserBenchResult {
  readonly rows: Row[];
  readonly failures: number;
}

declare global {
  interface Window {
    loomBench?: (o: BrowserBenchOptions) => Promise<BrowserBenchResult>;
    benchOut?: (line: string) => Promise<void>;
    benchLog?: (line: string) => Promise<void>;
  }
}

window.loomBench = async (o) => {
  const impls = [
    loomImpl({ impl: "loom-webgl", make: () => webglBackend(), slow: false }, true),
    tfImpl("webgl"),
  ].filter((i) => i.name.includes(o.impl));
  const cases = selectCases(o.filter).filter((c) => c.spec.kind !== "compile");
  return runCases({
    cases,
    impls,
    quick: o.quick,
    out: (line) => void window.benchOut?.(line),
    log: (line) => void window.benchLog?.(line),
  });
};
