/**
 * Runs layouts in the layout worker, one at a time: a new request cancels the one under way (its
 * worker is terminated, so an abandoned dagre run costs nothing). Where no worker can start
 * (a page whose policy forbids it), layouts run in the page after a paint.
 */
import type { Layout, LayoutInput } from "./layout";
import { layoutBoxes } from "./layout";
import type { LayoutRequest } from "./layout-worker";
import LayoutWorker from "./layout-worker?worker&inline";

/** A finished layout: where it ran and how long dagre took. */
export interface LayoutResult {
  readonly layout: Layout;
  readonly ms: number;
  readonly where: "worker" | "page";
}

/** Lays out graphs off the main thread; `run` resolves undefined when a later request replaced it. */
export interface LayoutRunner {
  readonly run: (input: LayoutInput) => Promise<LayoutResult | undefined>;
  readonly dispose: () => void;
}

/** In the page, after the browser has painted what the caller just showed. */
const inPage = async (input: LayoutInput): Promise<LayoutResult> => {
  await new Promise((r) => setTimeout(r, 0));
  const t0 = performance.now();
  return { layout: layoutBoxes(input), ms: performance.now() - t0, where: "page" };
};

/** A layout runner with its own worker. */
export const layoutRunner = (): LayoutRunner => {
  let worker: Worker | undefined;
  let usable = typeof Worker !== "undefined";
  let seq = 0;
  let pending: ((r: LayoutResult | undefined) => void) | undefined;
  const stop = () => {
    worker?.terminate();
    worker = undefined;
    pending?.(undefined);
    pending = undefined;
  };
  const run = (input: LayoutInput): Promise<LayoutResult | undefined> => {
    if (pending !== undefined) stop();
    const id = ++seq;
    if (!usable) return inPage(input).then((r) => (id === seq ? r : undefined));
    return new Promise((resolve, reject) => {
      pending = resolve;
      const fallBack = () => {
        // This request carries on in the page; later ones go there directly.
        usable = false;
        pending = undefined;
        worker?.terminate();
        worker = undefined;
        inPage(input).then((r) => resolve(id === seq ? r : undefined), reject);
      };
      try {
        worker ??= new LayoutWorker();
      } catch {
        return fallBack();
      }
      worker.onmessage = (e: MessageEvent<{ id: number; layout: Layout; ms: number }>) => {
        if (e.data.id !== id) return;
        pending = undefined;
        resolve({ layout: e.data.layout, ms: e.data.ms, where: "worker" });
      };
      worker.onerror = (e) => (e.preventDefault(), fallBack());
      worker.postMessage({ id, input } satisfies LayoutRequest);
    });
  };
  return { run, dispose: stop };
};
