/** @loom/models/node: what needs Node's file system (checkpoint files). The main entry stays browser-safe. */
export * from "./checkpoint/file";
