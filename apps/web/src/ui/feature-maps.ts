import type { FeatureMaps } from "../protocol";
import { paint } from "./images";

/**
 * Images of a layer (activations for the digit being classified, or a layer's weights), each
 * scaled to its own maximum, each labelled for screen readers.
 */
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
    const strip = maps.height === 1;
    el.classList.toggle("strips", strip);
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
        const what = strip
          ? `${maps.name}: ${maps.width} values`
          : `${maps.name}, channel ${c}, ${maps.height}×${maps.width}`;
        canvas.title = what;
        canvas.setAttribute("role", "img");
        canvas.setAttribute("aria-label", what);
        return canvas;
      }),
    );
  },
});
