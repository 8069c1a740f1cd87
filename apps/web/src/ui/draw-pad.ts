import { inkOf } from "../preprocess";

/** Brush width on the 280x280 pad: about MNIST's stroke once a 200-pixel digit shrinks to 20. */
const BRUSH = 20;

/**
 * The drawing pad: white strokes on black, drawn with pointer events (mouse, touch and pen
 * alike; `touch-action: none` keeps a finger from scrolling the page). `onChange` runs on every
 * stroke segment.
 */
export const drawPad = (canvas: HTMLCanvasElement, onChange: () => void) => {
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  let last: { x: number; y: number } | undefined;

  const clear = () => {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  const at = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) * canvas.width) / r.width,
      y: ((e.clientY - r.top) * canvas.height) / r.height,
    };
  };
  const segment = (a: { x: number; y: number }, b: { x: number; y: number }) => {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = BRUSH;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  };

  // A zero-length stroke draws nothing, whatever its caps: a tap is a dot of the brush's size.
  const dot = (p: { x: number; y: number }) => {
    ctx.fillStyle = "#fff";
    ctx.beginPath();
    ctx.arc(p.x, p.y, BRUSH / 2, 0, 2 * Math.PI);
    ctx.fill();
  };

  canvas.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    dot(last);
    onChange();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (last === undefined) return;
    const p = at(e);
    segment(last, p);
    last = p;
    onChange();
  });
  const end = () => {
    last = undefined;
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  clear();

  return {
    clear,
    /** Ink per pixel of the pad, for `toMnist`. */
    ink: () =>
      inkOf(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height),
    /** Shows a 28x28 image on the pad, scaled up (a test digit that was clicked). */
    show: (pixels: ArrayLike<number>) => {
      const small = document.createElement("canvas");
      small.width = 28;
      small.height = 28;
      const sctx = small.getContext("2d")!;
      const img = sctx.createImageData(28, 28);
      for (let i = 0; i < 784; i++) {
        const v = pixels[i]! * 255;
        img.data.set([v, v, v, 255], 4 * i);
      }
      sctx.putImageData(img, 0, 0);
      clear();
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    },
  };
};
