/** A bounded map from source text to what was compiled from it, least recently used dropped first. */
export interface SourceCache<F> {
  /** The value for `src`, made by `make` when absent. */
  readonly get: (src: string, make: (src: string) => F) => F;
  /** Forgets everything (the backend's `dispose`). */
  readonly clear: () => void;
}

/** A source cache of at most `limit` entries, owned by one backend instance. */
export const sourceCache = <F>(limit: number): SourceCache<F> => {
  const entries = new Map<string, F>();
  return {
    get: (src, make) => {
      const hit = entries.get(src);
      const f = hit ?? make(src);
      // Re-inserting keeps the map in least-recently-used order.
      entries.delete(src);
      entries.set(src, f);
      if (entries.size > limit) entries.delete(entries.keys().next().value!);
      return f;
    },
    clear: () => entries.clear(),
  };
};
