/**
 * The Pulse worker thread: the scheduler and its probes run here, off the event loop that serves the
 * hub's API; finished results go back in batches. Started by `createPulseSchedulerInWorker`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '@heartbeat/sdk';
import type { ProbeOutcome } from './probe.js';
import { createPulseScheduler } from './scheduler.js';
import type { FromWorker, PulseWorkerData, ToWorker } from './worker-messages.js';

if (!parentPort)
  throw new Error('pulse-worker.js runs as a worker thread (see createPulseSchedulerInWorker)');
const port = parentPort;
const settings = workerData as PulseWorkerData;
const post = (message: FromWorker): void => port.postMessage(message);

const logger: Logger = {
  info: (object, message) =>
    post({ type: 'log', level: 'info', object, ...(message !== undefined && { message }) }),
  warn: (object, message) =>
    post({ type: 'log', level: 'warn', object, ...(message !== undefined && { message }) }),
  error: (object, message) =>
    post({ type: 'log', level: 'error', object, ...(message !== undefined && { message }) }),
};

let batch: Array<[string, ProbeOutcome, number]> = [];
const scheduler = createPulseScheduler({
  ...settings,
  logger,
  onResult: (basepath, outcome, startedAt) => void batch.push([basepath, outcome, startedAt]),
});

function flush(): void {
  const results = batch;
  batch = [];
  post({ type: 'results', results, stats: scheduler.stats() });
}

const flusher = setInterval(flush, settings.batchMs);

port.on('message', (message: ToWorker) => {
  if (message.type === 'sync') {
    scheduler.sync(message.apis);
    return;
  }
  clearInterval(flusher);
  void scheduler.stop().then(() => {
    flush();
    // Nothing is left to keep the thread alive once the port closes: it ends, and the main thread sees 'exit'.
    port.close();
  });
});
