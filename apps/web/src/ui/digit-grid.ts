import type { TestResult } from "../protocol";
import { paint } from "./images";

/** How many test digits the grid shows at most. */
export const GRID_SIZE = 80;

/**
 * The test digits with the model's predictions: the first ones, or only the mistakes. A wrong
 * prediction has a red frame and a red badge; clicking a digit hands it to `onPick`.
 */
export const digitGrid = (
  el: HTMLElement,
  info: HTMLElement,
  onPick: (pixels: Float32Array, label: number, index: number) => void,
) => {
  let images: Uint8Array | undefined;
  let labels: Uint8Array | undefined;
  let result: TestResult | undefined;
  let mistakesOnly = false;

  const pixelsOf = (i: number) =>
    Float32Array.from(images!.subarray(i * 784, (i + 1) * 784), (b) => b / 255);

  const render = () => {
    if (!images || !labels) return;
    const n = labels.length;
    const wrong = result
      ? [...Array(n).keys()].filter((i) => result!.predictions[i] !== labels![i])
      : [];
    const shown = (mistakesOnly ? wrong : [...Array(n).keys()]).slice(0, GRID_SIZE);
    el.replaceChildren(
      ...shown.map((i) => {
        const tile = document.createElement("button");
        tile.type = "button";
        tile.className = "tile";
        const canvas = document.createElement("canvas");
        paint(canvas, images!.subarray(i * 784, (i + 1) * 784), 28, 28, "grey", 1 / 255);
        tile.append(canvas);
        const label = labels![i]!;
        if (result) {
          const p = result.predictions[i]!;
          const badge = document.createElement("span");
          badge.className = "badge";
          badge.textContent = String(p);
          tile.append(badge);
          tile.classList.toggle("wrong", p !== label);
          tile.title = `test digit ${i}: a ${label}, predicted ${p} (${(result.confidence[i]! * 100).toFixed(1)}%)`;
        } else {
          tile.title = `test digit ${i}: a ${label}`;
        }
        tile.addEventListener("click", () => onPick(pixelsOf(i), label, i));
        return tile;
      }),
    );
    if (result) {
      const acc = `${(result.accuracy * 100).toFixed(2)}% of ${n.toLocaleString("en-US")} test digits right, ${wrong.length} wrong`;
      info.textContent = mistakesOnly
        ? `${acc}; showing ${shown.length} mistakes (badge: the prediction).`
        : `${acc}; showing the first ${shown.length}, mistakes in red. Click one to classify it.`;
    }
  };

  return {
    setData: (testImages: Uint8Array, testLabels: Uint8Array) => {
      images = testImages;
      labels = testLabels;
      render();
    },
    setResult: (r: TestResult) => {
      result = r;
      render();
    },
    setMistakesOnly: (on: boolean) => {
      mistakesOnly = on;
      render();
    },
  };
};
