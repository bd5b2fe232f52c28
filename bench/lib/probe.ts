/** One plain request to a target before it is measured: what it answers, to check the race is fair. */
import { request } from 'node:http';

export interface ProbeAnswer {
  status: number;
  /** Header names and values as sent, in order. */
  headers: Array<[string, string]>;
  body: string;
  bodyBytes: number;
}

export async function probe(url: string, timeoutMs = 5000): Promise<ProbeAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers: Array<[string, string]> = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          headers.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        }
        resolve({
          status: res.statusCode ?? 0,
          headers,
          body: body.toString('utf8'),
          bodyBytes: body.length,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export function header(answer: ProbeAnswer, name: string): string | undefined {
  return answer.headers.find(([key]) => key === name)?.[1];
}

/** The shape of a JSON value: its keys and the types of its leaves, values left out. */
export function jsonShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonShape);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, jsonShape(v)]));
  }
  return value === null ? 'null' : typeof value;
}

/** Whether two bodies are JSON of the same shape (same keys in the same order, same leaf types). */
export function sameJsonShape(a: string, b: string): boolean {
  try {
    return JSON.stringify(jsonShape(JSON.parse(a))) === JSON.stringify(jsonShape(JSON.parse(b)));
  } catch {
    return false;
  }
}
