/**
 * The confusion matrix of the test digits as a table (cells shaded by count, mistakes in red)
 * with each digit's accuracy in the last column.
 */
import { confusionOf } from "./confusion";

/** The confusion table in `el`, redrawn for each model's test predictions. */
export const confusionView = (el: HTMLTableElement) => ({
  show: (labels: Uint8Array, predictions: Uint8Array) => {
    const c = confusionOf(labels, predictions);
    const max = Math.max(1, ...c.counts);
    const head = el.createTHead();
    head.replaceChildren();
    const hr = head.insertRow();
    const corner = document.createElement("th");
    corner.textContent = "true \\ predicted";
    corner.scope = "col";
    hr.append(corner);
    for (let p = 0; p < c.classes; p++) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = String(p);
      hr.append(th);
    }
    const acc = document.createElement("th");
    acc.scope = "col";
    acc.textContent = "accuracy";
    hr.append(acc);
    const body = el.tBodies[0] ?? el.createTBody();
    body.replaceChildren();
    for (let t = 0; t < c.classes; t++) {
      const row = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = String(t);
      row.append(th);
      for (let p = 0; p < c.classes; p++) {
        const n = c.counts[t * c.classes + p]!;
        const cell = row.insertCell();
        cell.textContent = n === 0 ? "" : String(n);
        cell.dataset["count"] = String(n);
        // Light shades only, so that the dark digits stay readable (>= 4.5:1) on every cell.
        const alpha = n === 0 ? 0 : 0.08 + (0.42 * n) / max;
        cell.style.background =
          t === p
            ? `rgba(47, 111, 237, ${alpha})`
            : `rgba(217, 45, 32, ${Math.min(0.5, alpha * 4)})`;
        cell.title = `${n} test digit${n === 1 ? "" : "s"} of ${t} read as ${p}`;
      }
      const a = c.perClass[t]!;
      const cell = row.insertCell();
      cell.className = "acc";
      cell.textContent = Number.isNaN(a.accuracy) ? "–" : `${(a.accuracy * 100).toFixed(1)}%`;
      cell.dataset["value"] = String(a.accuracy);
    }
  },
});
