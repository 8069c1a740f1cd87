/**
 * The activations of every layer for the digit being classified: a list of the model's layers
 * and the chosen one's feature maps (or a dense layer's values as a strip). The choice is kept
 * by name while the digit changes; a new model starts at its first convolution's activation.
 */
import type { FeatureMaps } from "../protocol";
import { featureMaps } from "./feature-maps";

/** The layer shown first: the first activation after a convolution (LeNet's `act1`), else the first. */
export const defaultLayer = (names: readonly string[], shapes: readonly FeatureMaps[]): string => {
  const conv = shapes.find((m) => m.height > 1 && /(^|\.)(act|relu)[\w]*$/.test(m.name));
  return conv?.name ?? names[0] ?? "";
};

/** The layer picker and its maps. */
export const layerView = (select: HTMLSelectElement, el: HTMLElement) => {
  const maps = featureMaps(el);
  let layers: readonly FeatureMaps[] = [];
  let chosen: string | undefined;

  const draw = () =>
    maps.show(
      layers.find((l) => l.name === chosen),
      "Draw a digit to see them.",
    );
  select.addEventListener("change", () => {
    chosen = select.value;
    draw();
  });

  return {
    /** Shows a digit's activations (none: the empty message). */
    show: (next: readonly FeatureMaps[] | undefined, why = "Draw a digit to see them.") => {
      if (next === undefined || next.length === 0) {
        layers = [];
        maps.show(undefined, why);
        return;
      }
      const names = next.map((l) => l.name);
      if (names.join() !== layers.map((l) => l.name).join()) {
        select.replaceChildren(
          ...next.map((l) => {
            const shape = l.height === 1 ? `${l.width}` : `${l.channels}×${l.height}×${l.width}`;
            return new Option(`${l.name} (${shape})`, l.name);
          }),
        );
        if (chosen === undefined || !names.includes(chosen)) chosen = defaultLayer(names, next);
        select.value = chosen;
      }
      select.disabled = false;
      layers = next;
      draw();
    },
    /** Forgets the layer chosen (a new model). */
    reset: () => {
      chosen = undefined;
      layers = [];
      select.replaceChildren();
      select.disabled = true;
      maps.show(undefined, "Draw a digit to see them.");
    },
  };
};
