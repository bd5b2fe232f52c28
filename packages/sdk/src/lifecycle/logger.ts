/** The logging the SDK does: a subset of pino's and console's methods, so either can be passed. */
export interface Logger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** The default: the SDK says nothing unless given a logger. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
