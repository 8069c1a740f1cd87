/** The view transform of a pan-and-zoom SVG: translate then scale. */
export interface View {
  x: number;
  y: number;
  k: number;
}

/**
 * Pan (drag) and zoom (wheel, around the cursor) for an SVG whose content sits in `layer`;
 * returns a function that moves the view so that a content point is centred.
 */
export const panZoom = (
  svg: SVGSVGElement,
  layer: SVGGElement,
): { centre: (x: number, y: number, k?: number) => void; view: View } => {
  const view: View = { x: 0, y: 0, k: 1 };
  const apply = () =>
    layer.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`);
  svg.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      const [px, py] = [e.clientX - r.left, e.clientY - r.top];
      const k = Math.min(4, Math.max(0.02, view.k * Math.exp(-e.deltaY * 0.0015)));
      view.x = px - ((px - view.x) * k) / view.k;
      view.y = py - ((py - view.y) * k) / view.k;
      view.k = k;
      apply();
    },
    { passive: false },
  );
  let drag: { x: number; y: number } | undefined;
  svg.addEventListener("pointerdown", (e) => {
    if ((e.target as Element).closest("[data-key],[data-kernel]")) return;
    drag = { x: e.clientX - view.x, y: e.clientY - view.y };
    svg.setPointerCapture(e.pointerId);
  });
  svg.addEventListener("pointermove", (e) => {
    if (drag === undefined) return;
    view.x = e.clientX - drag.x;
    view.y = e.clientY - drag.y;
    apply();
  });
  svg.addEventListener("pointerup", () => (drag = undefined));
  const centre = (x: number, y: number, k = view.k) => {
    const r = svg.getBoundingClientRect();
    view.k = k;
    view.x = r.width / 2 - x * k;
    view.y = r.height / 2 - y * k;
    apply();
  };
  apply();
  return { centre, view };
};
