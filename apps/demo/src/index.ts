// Placeholder until @loom/demo's public API is written.
export {};
