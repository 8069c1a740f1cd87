/**
 * The value of `rec`'s own property `key`, or undefined. Names come from users (input names,
 * symbols, tree keys, op names in a JSON graph), so a plain `rec[key]` would find
 * `Object.prototype` members for `toString`, `constructor` or `__proto__`.
 */
export const ownValue = <V>(rec: Readonly<Record<string, V>>, key: string): V | undefined =>
  Object.hasOwn(rec, key) ? rec[key] : undefined;
