/**
 * What `hub-apis` sends and expects: realistic request outcomes for `POST /v1/observations`, and the
 * 10,000 APIs it registers with known statuses, so that the runner and the bare baseline
 * (`targets/bare-heartbeats.ts`) agree on the `GET /v1/heartbeats` answer without talking.
 */

export type ApiStatus = 'UP' | 'DOWN' | 'UNKNOWN';

export interface Observation {
  basepath: string;
  statusCode?: number;
  error?: string;
  durationMs: number;
  timestamp: string;
  source: 'traffic';
}

/** A small deterministic PRNG (mulberry32), so that every run sends the same bodies. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The 100 gateway basepaths the ingest row spreads its traffic over. */
export const ingestBasepath = (k: number): string => `/gw/svc-${k}/v${1 + (k % 3)}`;

/**
 * `count` bodies of `perRequest` outcomes each, as a gateway would send them: `basepaths` APIs (some
 * busier than others), about 6 % 5xx (500, 502, 503, 504), 1 % `error: 'timeout'` (5 s), the rest
 * 2xx/3xx/4xx; durations spread log-normally from about 1 ms to a few seconds; timestamps within the
 * last second before `now`; all `source: 'traffic'`.
 */
export function ingestBodies(count: number, perRequest: number, basepaths: number, now: number): string[] {
  const next = random(20261121);
  const successes = [200, 200, 200, 200, 200, 200, 201, 204, 304, 400, 401, 404, 409, 429];
  const failures = [500, 502, 503, 503, 504];
  const bodies: string[] = [];
  for (let b = 0; b < count; b++) {
    const items: Observation[] = [];
    for (let i = 0; i < perRequest; i++) {
      // Busier APIs first: the square skews the choice towards low k.
      const basepath = ingestBasepath(Math.floor(next() ** 2 * basepaths));
      const timestamp = new Date(now - Math.floor(next() * 1000)).toISOString();
      const roll = next();
      // exp(N(3, 1.2)) ms, roughly: median 20 ms, p99 about 330 ms, a few in the seconds.
      const normal = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      const durationMs = Math.round(Math.exp(3 + 1.2 * normal) * 100) / 100;
      if (roll < 0.01) {
        items.push({ basepath, error: 'timeout', durationMs: 5000, timestamp, source: 'traffic' });
      } else if (roll < 0.07) {
        const statusCode = failures[Math.floor(next() * failures.length)]!;
        items.push({ basepath, statusCode, durationMs, timestamp, source: 'traffic' });
      } else {
        const statusCode = successes[Math.floor(next() * successes.length)]!;
        items.push({ basepath, statusCode, durationMs, timestamp, source: 'traffic' });
      }
    }
    bodies.push(JSON.stringify(items));
  }
  return bodies;
}

/** The basepath of registered API `i`: `/api/0` … `/api/9999`. */
export const registeredBasepath = (i: number): string => `/api/${i}`;

/**
 * The status API `i` is given at registration: one in 20 DOWN (5 outcomes, all 503), one in 20
 * UNKNOWN (a single outcome, under `minSamples` 5), the rest UP (5 outcomes, all 200).
 */
export function registeredStatus(i: number): ApiStatus {
  return i % 20 === 0 ? 'DOWN' : i % 20 === 1 ? 'UNKNOWN' : 'UP';
}

/** The registration bodies: every API's outcomes in order, `perRequest` per body. */
export function registrationBodies(apis: number, perRequest: number, now: number): Observation[][] {
  const timestamp = new Date(now).toISOString();
  const all: Observation[] = [];
  for (let i = 0; i < apis; i++) {
    const status = registeredStatus(i);
    const statusCode = status === 'DOWN' ? 503 : 200;
    for (let n = status === 'UNKNOWN' ? 1 : 5; n > 0; n--) {
      all.push({
        basepath: registeredBasepath(i),
        statusCode,
        durationMs: 12.5,
        timestamp,
        source: 'traffic',
      });
    }
  }
  const bodies: Observation[][] = [];
  for (let start = 0; start < all.length; start += perRequest)
    bodies.push(all.slice(start, start + perRequest));
  return bodies;
}

/** What `GET /v1/heartbeats` must answer once they are registered: every API, sorted by basepath. */
export function expectedHeartbeats(apis: number): Array<{ basepath: string; status: ApiStatus }> {
  return Array.from({ length: apis }, (_, i) => ({
    basepath: registeredBasepath(i),
    status: registeredStatus(i),
  })).sort((a, b) => (a.basepath < b.basepath ? -1 : a.basepath > b.basepath ? 1 : 0));
}
