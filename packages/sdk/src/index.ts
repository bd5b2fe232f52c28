/**
 * @heartbeat/sdk — named health checks served in every format the seeds describe, from one handler.
 */
export * from './errors.js';
export * from './core/status.js';
export * from './core/duration.js';
export type * from './core/check.js';
export { createHealthRegistry, CHECK_DEFAULTS, ok, warning, error } from './core/registry.js';
export type { HealthRegistry, HealthRegistryOptions } from './core/registry.js';

export type { LifecycleState } from './core/lifecycle.js';
export type { ServiceInfo } from './core/service-info.js';
export { createHealth, toWebResponse } from './health.js';
export type { Health, HealthOptions, ServiceOptions, ShutdownOptions } from './health.js';
export type { HealthRequest, HealthRequestHandler } from './handler/health-handler.js';
export type { HealthResponse } from './formats/response.js';
export { DEFAULT_ROUTES, joinRoute } from './handler/routes.js';
export type { HealthEndpoint, HealthRoutes, HealthRouteOptions } from './handler/routes.js';
export type { ShutdownHook, ShutdownOutcome } from './lifecycle/graceful-shutdown.js';
export type { Logger } from './lifecycle/logger.js';
export {
  nodeHttpListener,
  handleNodeRequest,
  toHealthRequest,
  writeHealthResponse,
} from './adapters/node-http.js';
export {
  createHealthServer,
  healthServerOptionsFromConfig,
  HEALTH_SERVER_DEFAULTS,
} from './server/health-server.js';
export type { HealthServer, HealthServerOptions, HealthServerConnection } from './server/health-server.js';

// --- built-in checks (packages/sdk/src/checks/) ---
export { httpCheck } from './checks/http.js';
export type { HttpCheckOptions } from './checks/http.js';
export { tcpCheck } from './checks/tcp.js';
export type { TcpCheckOptions } from './checks/tcp.js';
export { postgresCheck } from './checks/postgres.js';
export type * from './checks/postgres.js';
export { redisCheck } from './checks/redis.js';
export type * from './checks/redis.js';
export { eventLoopDelayCheck } from './checks/event-loop.js';
export type * from './checks/event-loop.js';
export { memoryCheck } from './checks/memory.js';
export type { MemoryCheckOptions } from './checks/memory.js';
export { diskSpaceCheck } from './checks/disk.js';
export type { DiskSpaceCheckOptions } from './checks/disk.js';

// --- reading any health endpoint (packages/sdk/src/client/) ---
export {
  interpretHealthResponse,
  isPassingHttpStatus,
  DEFAULT_MAX_CLOCK_SKEW_MS,
} from './client/interpret-health-response.js';
export type {
  HealthFormat,
  HealthInterpretation,
  InterpretedCheck,
  InterpretHealthResponseOptions,
  RawHealthResponse,
} from './client/interpret-health-response.js';
export { probeHealthUrl, parseHealthUrl, PROBE_DEFAULTS } from './client/probe-health-url.js';
export type { ProbeHealthUrlOptions, HealthProbeResult } from './client/probe-health-url.js';

// --- the agent (packages/sdk/src/agent/) ---
export { createHubAgent, HUB_AGENT_DEFAULTS } from './agent/hub-agent.js';
export type {
  HubAgent,
  HubAgentOptions,
  HubAgentPhase,
  HubAgentState,
  BeatOutcome,
  StatusSource,
  ExtInfoProvider,
} from './agent/hub-agent.js';
export { reportFromCheckResults } from './agent/heartbeat-message.js';
export type {
  HeartbeatMessage,
  InstanceMetadata,
  InstanceStatusReport,
  PluginInfo,
  ReportedCheck,
} from './agent/heartbeat-message.js';
export { CREATE_INGEST_KEY } from './agent/hub-answer.js';
