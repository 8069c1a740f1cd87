/**
 * Linear-time checks on a safetensors header's text, run before `JSON.parse` so that hostile
 * headers cost one pass: the space padding at the end, the nesting depth (a deep value would
 * overflow the stack of anything that walks it later), and the spans of the top-level keys
 * (JSON.parse silently keeps only the last of two equal keys).
 */

/** The number of trailing space characters (the padding that 8-aligns the data). */
export const trailingSpaces = (text: string): number => {
  let i = text.length;
  while (i > 0 && text.charCodeAt(i - 1) === 0x20) i--;
  return text.length - i;
};

/** What one pass over a header's text found. */
export interface HeaderScan {
  /** The deepest nesting of arrays and objects, counted up to `maxDepth + 1` only. */
  readonly depth: number;
  /** `[start, end)` of each top-level key's string token, duplicates included. */
  readonly keys: readonly (readonly [number, number])[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * Walks the text once, skipping strings, and stops as soon as nesting passes `maxDepth`. It does
 * not validate JSON (JSON.parse does, afterwards); the key spans are meaningful only for text
 * that parses.
 */
export const scanHeader = (text: string, maxDepth: number): HeaderScan => {
  const keys: [number, number][] = [];
  let depth = 0;
  let deepest = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++) {
        if (text.charCodeAt(i) === BACKSLASH) i++;
      }
      if (depth === 1 && expectKey) keys.push([start, i + 1]);
      expectKey = false;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      deepest = Math.max(deepest, depth);
      if (deepest > maxDepth) break;
      expectKey = c === OPEN_BRACE && depth === 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COMMA && depth === 1) {
      expectKey = true;
    }
  }
  return { depth: deepest, keys };
};
