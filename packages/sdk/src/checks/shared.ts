/**
 * Helpers the built-in checks share: giving up when the run's signal aborts, opening a socket that
 * the signal can close, and measuring elapsed time. Internal; not part of the package's API.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { describeError } from '../errors.js';

/** Milliseconds since `startedAt` (a `performance.now()` reading), to a hundredth. */
export function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 100) / 100;
}

/** The error a run rejects with when its signal aborts: what it was doing, then why it stopped. */
export function abortError(signal: AbortSignal, doing: string): Error {
  return new Error(`gave up ${doing}: ${describeError(signal.reason)}`, { cause: signal.reason });
}

/**
 * Settles like `promise`, or rejects with `abortError` as soon as `signal` aborts. `onAbort` is where
 * the caller releases what the abandoned work holds (a socket, a pooled client).
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  doing: string,
  onAbort?: () => void,
): Promise<T> {
  if (signal.aborted) {
    onAbort?.();
    return Promise.reject(abortError(signal, doing));
  }
  return new Promise<T>((resolve, reject) => {
    const aborted = (): void => {
      onAbort?.();
      reject(abortError(signal, doing));
    };
    signal.addEventListener('abort', aborted, { once: true });
    // The listener goes as soon as `promise` settles, so `onAbort` never runs for work that finished.
    promise.then(
      (value) => {
        signal.removeEventListener('abort', aborted);
        resolve(value);
      },
      (reason: Error) => {
        signal.removeEventListener('abort', aborted);
        reject(reason);
      },
    );
  });
}

/** Where `openSocket` connects. */
export interface SocketTarget {
  host: string;
  port: number;
  /** Connect with TLS, with these options (the server name is set from `host` unless given). */
  tls?: ConnectionOptions | undefined;
}

/** `host:port`, with IPv6 addresses in brackets, as people write an address. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Opens a TCP (or TLS) connection. Resolves once connected (after the TLS handshake); rejects with
 * the connect error, e.g. `connect ECONNREFUSED 127.0.0.1:5999`, or when `signal` aborts, in which
 * case the half-open socket is destroyed.
 */
export function openSocket(target: SocketTarget, signal: AbortSignal): Promise<Socket> {
  const address = formatAddress(target.host, target.port);
  if (signal.aborted) return Promise.reject(abortError(signal, `connecting to ${address}`));
  return new Promise<Socket>((resolve, reject) => {
    const socket = target.tls
      ? connectTls({
          servername: isIP(target.host) ? undefined : target.host,
          ...target.tls,
          host: target.host,
          port: target.port,
        })
      : connectTcp({ host: target.host, port: target.port });
    const cleanup = (): void => {
      signal.removeEventListener('abort', aborted);
      socket.off('error', failed);
    };
    const aborted = (): void => {
      cleanup();
      socket.destroy();
      reject(abortError(signal, `connecting to ${address}`));
    };
    const failed = (error: Error): void => {
      cleanup();
      socket.destroy();
      // `connect ECONNREFUSED 127.0.0.1:5999` names the address; a TLS or DNS error does not.
      const reason = describeError(error);
      reject(reason.includes(address) ? error : new Error(`${address}: ${reason}`, { cause: error }));
    };
    signal.addEventListener('abort', aborted, { once: true });
    socket.once('error', failed);
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      cleanup();
      resolve(socket);
    });
  });
}
