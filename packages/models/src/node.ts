/**
 * What needs Node's file system (checkpoint files). The main entry stays browser-safe.
 *
 * @module \@loom/models/node
 */
export * from "./checkpoint/file";
