/**
 * The layout worker: dagre lays out what the Graph panel posts, off the page's main thread,
 * so the page keeps answering while a big or expanded graph is placed.
 */
import type { LayoutInput } from "./layout";
import { layoutBoxes } from "./layout";

/** A request: its sequence number and what to lay out. */
export interface LayoutRequest {
  readonly id: number;
  readonly input: LayoutInput;
}

self.addEventListener("message", (e: MessageEvent<LayoutRequest>) => {
  const t0 = performance.now();
  const layout = layoutBoxes(e.data.input);
  self.postMessage({ id: e.data.id, layout, ms: performance.now() - t0 });
});
