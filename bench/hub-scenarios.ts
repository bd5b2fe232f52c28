/**
 * The hub's scenarios, registered in `run.ts`: ingest throughput, a 100,000-instance fleet, and API
 * status (observations, `/v1/heartbeats`).
 */
import { hubApis } from './hub-apis.js';
import { hubFleet } from './hub-fleet.js';
import { hubIngest } from './hub-ingest.js';
import type { Scenario } from './lib/scenario.js';

export const HUB_SCENARIOS: readonly Scenario[] = [hubIngest, hubFleet, hubApis];
