import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/**
 * The hub's logger: JSON lines for machines, or readable colored lines for people (`pretty`,
 * the default when writing to a terminal).
 */
export function createHubLogger(level: string, format: 'json' | 'pretty' | undefined): PinoLogger {
  const usePretty = format === 'pretty' || (format === undefined && process.stdout.isTTY === true);
  const options = { name: 'hub', level };
  if (!usePretty) return pino(options);
  return pino(
    options,
    pretty({
      colorize: process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
    }),
  );
}
