import { describe, expect, it } from 'vitest';
import { lifecycleProblem } from './lifecycle.js';

describe('lifecycle verdicts', () => {
  it.each([
    ['starting', 'liveness', undefined],
    ['starting', 'readiness', 'started'],
    ['starting', 'startup', 'started'],
    ['starting', 'overall', 'started'],
    ['ready', 'liveness', undefined],
    ['ready', 'readiness', undefined],
    ['ready', 'startup', undefined],
    ['stopping', 'liveness', undefined],
    ['stopping', 'readiness', 'shutdown'],
    ['stopping', 'startup', undefined],
    ['stopping', 'overall', 'shutdown'],
    ['stopped', 'readiness', 'shutdown'],
  ] as const)('%s fails %s with %s', (state, view, problem) => {
    expect(lifecycleProblem(state, view)?.name).toBe(problem);
  });
});
