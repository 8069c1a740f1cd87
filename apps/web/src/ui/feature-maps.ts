import type { FeatureMaps } from "../protocol";
import { paint } from "./images";

/** A layer's feature maps for the digit being classified, each scaled to its own maximum. */
export const featureMaps = (el: HTMLElement) => ({
  show: (maps: FeatureMaps | undefined, why: string) => {
    if (maps === undefined) {
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = why;
      el.replaceChildren(p);
      return;
    }
    const size = maps.height * maps.width;
    el.replaceChildren(
      ...Array.from({ length: maps.channels }, (_, c) => {
        const canvas = document.createElement("canvas");
        paint(
          canvas,
          maps.data.subarray(c * size, (c + 1) * size),
          maps.width,
          maps.height,
          "viridis",
        );
        canvas.title = `${maps.name}, channel ${c}`;
        return canvas;
      }),
    );
  },
});
