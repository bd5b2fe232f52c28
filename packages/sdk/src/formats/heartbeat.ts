import { jsonResponse, type HealthResponse } from './response.js';

/** `GET /heartbeat` (seed 000): the current UTC time with milliseconds, as a JSON string. */
export function renderHeartbeat(now: number): HealthResponse {
  return jsonResponse(200, new Date(now).toISOString());
}
