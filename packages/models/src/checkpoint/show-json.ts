/**
 * Shows a parsed JSON value from an untrusted file in an error message without walking it:
 * JSON.stringify recurses (a deeply nested value overflows the stack) and prints everything (a
 * million-element shape makes a megabyte message).
 */

const MAX_ITEMS = 8;
const MAX_CHARS = 40;

const clip = (s: string): string => (s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS)}...` : s);

const showScalar = (x: unknown): string => {
  if (Array.isArray(x)) return `[...${x.length} items]`;
  if (typeof x === "object" && x !== null) return "{...}";
  return clip(JSON.stringify(x) ?? String(x));
};

/** A short rendering of a JSON value: scalars as JSON, arrays by their first items, objects as `{...}`. */
export const showJson = (x: unknown): string => {
  if (!Array.isArray(x)) return showScalar(x);
  const shown = x.slice(0, MAX_ITEMS).map(showScalar).join(",");
  return x.length > MAX_ITEMS ? `[${shown},... (${x.length} items)]` : `[${shown}]`;
};
