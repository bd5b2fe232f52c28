/**
 * The target side of `targets.ts`: listen, announce the port on stdout, and exit when the runner
 * closes the IPC channel (which it also does by dying).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Announcement } from './targets.js';

/** Prints the announcement the runner waits for, and arranges to exit with the runner. */
export function announce(port: number): void {
  const announcement: Announcement = { port };
  process.stdout.write(`${JSON.stringify(announcement)}\n`);
  process.on('disconnect', () => process.exit(0));
}

/** Listens on 127.0.0.1 on a free port and announces it. */
export async function listenAndAnnounce(server: Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  announce(port);
  return port;
}

/** The row a target is set up for: its first argument, checked against the rows it knows. */
export function rowArgument<Row extends string>(rows: readonly Row[]): Row {
  const row = process.argv[2];
  if (!rows.includes(row as Row)) {
    process.stderr.write(`usage: node ${process.argv[1]} <${rows.join('|')}>\n`);
    process.exit(2);
  }
  return row as Row;
}
