/** The hub's scenarios, registered in `run.ts`: ingest throughput, and a 100,000-instance fleet. */
import { hubFleet } from './hub-fleet.js';
import { hubIngest } from './hub-ingest.js';
import type { Scenario } from './lib/scenario.js';

export const HUB_SCENARIOS: readonly Scenario[] = [hubIngest, hubFleet];
