/** @loom/testing/node: what Node-only tests share (files, processes); never bundled for the browser. */
export * from "./temp-dir";
export * from "./served-app";
