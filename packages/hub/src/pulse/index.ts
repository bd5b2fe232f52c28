/**
 * Pulse: periodic synthetic probes of the APIs that opt in (`pulse.enabled`), whose outcomes become
 * observations with `source: 'pulse'` and probe-history records. See docs/pulse.md.
 */
export { checkExpectations, checkResponseTime, resolveJsonPath, type ProbeAnswer } from './expectations.js';
export {
  createPulseDispatcher,
  PROBE_DEFAULTS,
  runProbe,
  type ProbeOptions,
  type ProbeOutcome,
  type PulseDispatcherOptions,
} from './probe.js';
export {
  createPulseScheduler,
  PULSE_SCHEDULER_DEFAULTS,
  type ProbeRunner,
  type PulseScheduler,
  type PulseSchedulerOptions,
  type PulseStats,
  type PulseTarget,
} from './scheduler.js';
export { createPulseSchedulerInWorker, type PulseWorkerOptions } from './scheduler-in-worker.js';
