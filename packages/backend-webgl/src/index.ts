// Placeholder until @loom/backend-webgl's public API is written.
export {};
