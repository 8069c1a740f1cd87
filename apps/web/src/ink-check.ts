/**
 * Whether a drawing is worth classifying. `toMnist` scales any mark to fill MNIST's 20x20 box,
 * so a tap or a small scribble becomes a thick blob that the network reads confidently as some
 * digit (often an 8): a drawing must span a fifth of the pad, and must be lines rather than a
 * filled blot.
 */
import { inkBox } from "./preprocess";

/** The drawing's bounding box must span at least this fraction of the pad's side. */
export const MIN_SPAN = 0.2;

/**
 * At most this fraction of the square around the drawing may be ink. Thresholded at 0.5, MNIST's
 * 2,000 test digits cover at most 0.60 of theirs (median 0.26); a scribbled-over area is a blot.
 */
export const MAX_COVER = 0.7;

/** Why a drawing (ink per pixel in [0, 1]) is not classified, or undefined when it is fine. */
export const inkProblem = (
  ink: Float32Array,
  width: number,
  height: number,
): string | undefined => {
  // Half ink or more: the anti-aliased fringe of a stroke does not count.
  const { x0, x1, y0, y1, count } = inkBox(ink, width, height, (v) => v >= 0.5);
  if (count === 0) return undefined;
  const side = Math.max(x1 - x0, y1 - y0);
  if (side < MIN_SPAN * Math.min(width, height))
    return "Too little ink to read: draw the digit bigger.";
  if (count > MAX_COVER * side * side)
    return "That is a blot, not a digit: clear the pad and draw the digit with lines.";
  return undefined;
};
