import { LoomError } from "@loom/graph";
import type { Tensor } from "../core";
import { mul, select, sub } from "../api/elementwise";
import { flip } from "../api/movement";
import { bernoulli, split } from "../random";
import type { Augmentation } from "./common";
import { checkImages, checkOption, perImageInt, perImageShape, perImageUniform } from "./common";
import { rotateBy, scaleBy, shiftByIntegers } from "./resample";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";

/** Options of the flips: the probability `p` of flipping an image (default 0.5). */
export type FlipOptions = { readonly p?: number };
/** Options of `randomShift`: the largest shift in pixels. */
export type ShiftOptions = { readonly max: number };
/** Options of `randomCrop`: the zero padding on every side. */
export type CropOptions = { readonly padding: number };
/** Options of `randomScale`: the range of zoom factors. */
export type ScaleOptions = { readonly min: number; readonly max: number };
/** Options of `randomRotation`: the largest angle in degrees. */
export type RotationOptions = { readonly degrees: number };

const FLIP_KEYS: OptionKeys<FlipOptions> = { p: true };
const SHIFT_KEYS: OptionKeys<ShiftOptions> = { max: true };
const CROP_KEYS: OptionKeys<CropOptions> = { padding: true };
const SCALE_KEYS: OptionKeys<ScaleOptions> = { min: true, max: true };
const ROTATION_KEYS: OptionKeys<RotationOptions> = { degrees: true };

const flipWith =
  (op: string, axis: number, p: number): Augmentation =>
  (k, x) => {
    checkImages(op, x);
    return select(bernoulli(k, p, perImageShape(x)), flip(x, axis), x);
  };

/** Mirrors each image left-right with probability `p` (one coin per image). */
export const flipHorizontal = (opts: FlipOptions = {}): Augmentation => {
  const { p = 0.5 } = checkOptions("flipHorizontal", opts, FLIP_KEYS);
  checkOption("flipHorizontal", "p", p, p >= 0 && p <= 1, "a probability in [0, 1]");
  return flipWith("flipHorizontal", 3, p);
};

/** Mirrors each image upside down with probability `p` (one coin per image). */
export const flipVertical = (opts: FlipOptions = {}): Augmentation => {
  const { p = 0.5 } = checkOptions("flipVertical", opts, FLIP_KEYS);
  checkOption("flipVertical", "p", p, p >= 0 && p <= 1, "a probability in [0, 1]");
  return flipWith("flipVertical", 2, p);
};

/**
 * Refuses a shift that would move every pixel out of the image: beyond that it only adds work
 * (2 * max + 1 shifted views per axis, so a huge `max` would hang or overflow the stack).
 */
const checkShiftFits = (op: string, name: string, max: number, x: Tensor): void => {
  const [, , h, w] = x.shape as number[];
  const limit = Math.min(h!, w!) - 1;
  if (max > limit) {
    throw new LoomError(
      "invalid_argument",
      op,
      `${name} must be at most ${limit} for ${h}x${w} images (one less than their size), got ${max}`,
      [x.shape],
    );
  }
};

/** Integer shifts per image, uniform in [-max, max] on each axis, independently. */
const shiftBy = (k: Tensor, x: Tensor, max: number): Tensor => {
  const [ky, kx] = split(k, 2);
  return shiftByIntegers(x, perImageInt(ky!, x, -max, max), perImageInt(kx!, x, -max, max), max);
};

/**
 * Shifts each image by whole pixels, `dy` and `dx` each uniform in `[-max, max]`, filling with
 * zeros (a positive shift moves the content down or right).
 */
export const randomShift = (opts: ShiftOptions): Augmentation => {
  const { max } = checkOptions("randomShift", opts, SHIFT_KEYS);
  checkOption("randomShift", "max", max, Number.isInteger(max) && max >= 0, "an integer >= 0");
  return (k, x) => {
    checkImages("randomShift", x);
    checkShiftFits("randomShift", "max", max, x);
    return shiftBy(k, x, max);
  };
};

/**
 * The classic "pad and random crop" (as torchvision's `RandomCrop(size, padding)`): pad each
 * image by `padding` zeros on every side, then cut an HxW window at an offset uniform in
 * `[0, 2 * padding]` per axis. Cropping at offset `o` of the padded image is a shift by
 * `padding - o`, so it is computed as one, without materialising the padded batch.
 */
export const randomCrop = (opts: CropOptions): Augmentation => {
  const { padding } = checkOptions("randomCrop", opts, CROP_KEYS);
  checkOption(
    "randomCrop",
    "padding",
    padding,
    Number.isInteger(padding) && padding >= 0,
    "an integer >= 0",
  );
  return (k, x) => {
    checkImages("randomCrop", x);
    checkShiftFits("randomCrop", "padding", padding, x);
    return shiftBy(k, x, padding);
  };
};

/**
 * Zooms each image about its centre by a factor uniform in `[min, max]` (above 1 enlarges),
 * bilinearly, keeping the size HxW with zeros where a shrunk image leaves a border.
 */
export const randomScale = (opts: ScaleOptions): Augmentation => {
  const { min, max } = checkOptions("randomScale", opts, SCALE_KEYS);
  checkOption("randomScale", "min", min, min > 0, "a positive number");
  checkOption("randomScale", "max", max, max >= min, `a number >= min (${min})`);
  return (k, x) => {
    checkImages("randomScale", x);
    return scaleBy(x, perImageUniform(k, x, min, max));
  };
};

/**
 * Rotates each image by an angle uniform in `[-degrees, degrees]` (counter-clockwise for
 * positive angles), bilinearly by three shears, with zero fill (see `rotate`).
 */
export const randomRotation = (opts: RotationOptions): Augmentation => {
  const { degrees } = checkOptions("randomRotation", opts, ROTATION_KEYS);
  checkOption(
    "randomRotation",
    "degrees",
    degrees,
    degrees >= 0 && degrees <= 180,
    "a number in [0, 180]",
  );
  return (k, x) => {
    checkImages("randomRotation", x);
    const u = perImageUniform(k, x, 0, 1);
    const max = (degrees * Math.PI) / 180;
    return rotateBy(x, mul(sub(mul(u, 2), 1), max), max);
  };
};
