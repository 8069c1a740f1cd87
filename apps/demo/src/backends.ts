import type { Backend } from "@loom/graph";
import { LoomError } from "@loom/graph";
import { cpuBackend, referenceBackend } from "@loom/backend-cpu";
import { autoBackend } from "@loom/backend-webgl";

/** Makes a backend; `log` hears which one `auto` picked and why. */
export type BackendMaker = (log?: (message: string) => void) => Backend;

/**
 * WebGL where it pays (WebGL2 with float render targets on a hardware renderer), the CPU
 * backend anywhere else: in Node there is no WebGL, so the CLI's `auto` is the CPU backend
 * and says so.
 */
const auto: BackendMaker = (log) => {
  const { backend, picked, reason } = autoBackend({ cpu: () => cpuBackend() });
  log?.(`backend auto: ${picked} (${reason})\n`);
  return backend;
};

/** Backends the CLI can run on, by name. */
export const BACKENDS: Readonly<Record<string, BackendMaker>> = {
  cpu: () => cpuBackend(),
  reference: referenceBackend,
  auto,
};

/** The maker of the backend named `name`, or a LoomError listing the known ones; creates nothing. */
export const checkBackend = (name: string): BackendMaker => {
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

/** The backend named `name` (`log` hears `auto`'s choice), or a LoomError listing the known ones. */
export const pickBackend = (name: string, log?: (message: string) => void): Backend =>
  checkBackend(name)(log);

/** The backend used when none is named. */
export const DEFAULT_BACKEND = "cpu";
