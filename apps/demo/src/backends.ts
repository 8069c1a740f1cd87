import type { Backend } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend, referenceBackend } from "@loom/backend-cpu";

/** Backends the CLI can run on, by name. */
export const BACKENDS: Readonly<Record<string, () => Backend>> = {
  cpu: () => cpuBackend(),
  reference: referenceBackend,
};

/** The maker of the backend named `name`, or a LoomError listing the known ones; creates nothing. */
export const checkBackend = (name: string): (() => Backend) => {
  const make = Object.hasOwn(BACKENDS, name) ? BACKENDS[name] : undefined;
  if (make === undefined) {
    throw new LoomError(
      "invalid_argument",
      "backend",
      `unknown backend ${JSON.stringify(name)}; use one of ${Object.keys(BACKENDS).join(", ")}`,
    );
  }
  return make;
};

/** The backend named `name`, or a LoomError listing the known ones. */
export const pickBackend = (name: string): Backend => checkBackend(name)();

/** The backend used when none is named. */
export const DEFAULT_BACKEND = "cpu";
