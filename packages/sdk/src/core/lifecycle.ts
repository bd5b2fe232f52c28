/**
 * The service's lifecycle as the probes see it: not ready until the service says it has started,
 * not ready again from the moment shutdown begins, alive throughout.
 */
export type LifecycleState = 'starting' | 'ready' | 'stopping' | 'stopped';

/** What a probe or aggregate endpoint asks of the lifecycle. */
export type LifecycleView = 'liveness' | 'readiness' | 'startup' | 'overall';

/** A synthetic failing check that stands for the lifecycle, shown like any other. */
export interface LifecycleProblem {
  name: 'started' | 'shutdown';
  message: string;
}

const NOT_STARTED: LifecycleProblem = {
  name: 'started',
  message: 'the service has not declared itself started',
};
const SHUTTING_DOWN: LifecycleProblem = { name: 'shutdown', message: 'the service is shutting down' };

/** The lifecycle's verdict for one view; undefined when the lifecycle does not fail it. */
export function lifecycleProblem(state: LifecycleState, view: LifecycleView): LifecycleProblem | undefined {
  switch (view) {
    case 'liveness':
      return undefined;
    case 'startup':
      return state === 'starting' ? NOT_STARTED : undefined;
    case 'readiness':
    case 'overall':
      if (state === 'starting') return NOT_STARTED;
      return state === 'ready' ? undefined : SHUTTING_DOWN;
  }
}
