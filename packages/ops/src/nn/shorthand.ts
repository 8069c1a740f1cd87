import { LoomError } from "@loom/graph";
import type { OptionKeys } from "../api/options";
import { checkOptions } from "../api/options";
import { describeValue } from "../values";

const isOptionsObject = (x: unknown): x is object =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * The options of a layer factory called either with one options object (`nn.dense({ out: 10 })`)
 * or with its leading, unambiguous option(s) positionally and the rest as an object
 * (`nn.dense(10, { bias: false })`): `names` are the positional options, in order. The merged
 * object is checked against `keys`, so a misspelt option fails either way.
 */
export const layerOptions = <O extends object>(
  op: string,
  args: readonly unknown[],
  names: readonly (keyof O & string)[],
  keys: OptionKeys<O>,
): O => {
  const firstIsObject = isOptionsObject(args[0]) && names.length > 0;
  const positional = firstIsObject ? [] : args.slice(0, names.length);
  const rest = firstIsObject ? args[0] : args[positional.length];
  if (rest !== undefined && !isOptionsObject(rest))
    throw new LoomError(
      "invalid_argument",
      op,
      `expects ${names.length > 0 ? `${names.join(", ")} then ` : ""}an options object, got ${describeValue(rest)} where the options go`,
    );
  if (args.length > (firstIsObject ? 1 : positional.length + 1))
    throw new LoomError(
      "invalid_argument",
      op,
      `takes ${names.join(", ")} and an options object, or one options object; got ${args.length} arguments`,
    );
  const given = Object.fromEntries(
    positional.flatMap((v, i) => (v === undefined ? [] : [[names[i]!, v]])),
  );
  const clash = Object.keys(given).find((k) => rest !== undefined && Object.hasOwn(rest, k));
  if (clash !== undefined)
    throw new LoomError(
      "invalid_argument",
      op,
      `${clash} is given twice, positionally and in the options; give it once`,
    );
  return checkOptions(op, { ...given, ...(rest as object | undefined) } as O, keys);
};
