import { expect } from "vitest";
import { LoomError } from "@loom/graph";

/** The `LoomError` that `p` rejects with; fails the test if it resolves or throws anything else. */
export const rejection = async (p: Promise<unknown>): Promise<LoomError> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LoomError);
    return e as LoomError;
  }
  throw new Error("expected a LoomError");
};
