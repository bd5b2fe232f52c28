import { isIP } from 'node:net';
import { hostname } from 'node:os';

/** Who is answering: shown by `/status`, `/health` and `/ops/heartbeat`. */
export interface ServiceInfo {
  /** Stable id of this process; defaults to the hostname. */
  id: string;
  name: string;
  description: string | undefined;
  version: string | undefined;
  properties: Record<string, string>;
  /** Hostname or container name, never an IP address (seed 004). */
  machine: string;
  /** When the process started (epoch ms). */
  startedAt: number;
}

/**
 * The hostname or container name of this machine, never an IP address: when the OS hostname is
 * an address (some container runtimes), fall back to `$HOSTNAME`, then to `unknown-host`.
 */
export function machineName(override?: string): string {
  for (const candidate of [override, hostname(), process.env.HOSTNAME]) {
    if (candidate && isIP(candidate) === 0) return candidate;
  }
  return 'unknown-host';
}
