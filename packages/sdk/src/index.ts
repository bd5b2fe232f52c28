/**
 * @heartbeat/sdk — named health checks served in every format the seeds describe, from one handler.
 */
export * from './errors.js';
export * from './core/status.js';
export * from './core/duration.js';
export type * from './core/check.js';
export { createHealthRegistry, CHECK_DEFAULTS, ok, warning, error } from './core/registry.js';
export type { HealthRegistry, HealthRegistryOptions } from './core/registry.js';

// --- built-in checks (packages/sdk/src/checks/) ---

// --- reading any health endpoint (packages/sdk/src/client/) ---
