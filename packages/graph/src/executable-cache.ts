import type { Executable } from "./backend";

/**
 * A backend's compiled executables by key (graph structure, options, input shapes), shared by
 * every compiled function that holds them. Bounded: past `limit` entries the least recently
 * used is disposed (a holder that runs it again compiles it again). An executable is disposed
 * as soon as its last holder releases it, so `dispose()` of a compiled function really frees.
 */
export interface ExecutableCache {
  /** The executable for `key`, built by `build` when absent; `holder` now holds it. */
  readonly acquire: (key: string, holder: object, build: () => Executable) => Executable;
  /** `holder` no longer holds `key`; the executable is disposed when no one does. */
  readonly release: (key: string, holder: object) => void;
  /** Disposes every executable (the backend's `dispose`). */
  readonly clear: () => void;
  /** How many executables are alive. */
  readonly size: () => number;
}

/** The default bound of an executable cache: enough for every shape a training run meets. */
export const EXECUTABLE_CACHE_LIMIT = 32;

/** A bounded, least-recently-used executable cache, owned by a backend instance. */
export const executableCache = (limit = EXECUTABLE_CACHE_LIMIT): ExecutableCache => {
  // A Map iterates in insertion order: re-inserting on use keeps the oldest first.
  const entries = new Map<string, { exe: Executable; holders: Set<object> }>();
  const drop = (key: string) => {
    entries.get(key)?.exe.dispose();
    entries.delete(key);
  };
  return {
    acquire: (key, holder, build) => {
      const hit = entries.get(key);
      const entry = hit ?? { exe: build(), holders: new Set<object>() };
      entries.delete(key);
      entries.set(key, entry);
      entry.holders.add(holder);
      if (entries.size > limit) drop(entries.keys().next().value!);
      return entry.exe;
    },
    release: (key, holder) => {
      const entry = entries.get(key);
      if (entry === undefined) return;
      entry.holders.delete(holder);
      if (entry.holders.size === 0) drop(key);
    },
    clear: () => {
      for (const key of [...entries.keys()]) drop(key);
    },
    size: () => entries.size,
  };
};
