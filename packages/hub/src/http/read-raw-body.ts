import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HeartbeatError, toHeartbeatError } from '@heartbeat/sdk';

/**
 * Reads a request body as bytes, with every limit a public endpoint needs, and no
 * opinion on the content: the encoding must be identity, gzip (what OTLP exporters send), deflate
 * or br (415 otherwise), and the body — raw and decompressed, so a zip bomb is cut short — at most
 * `maxBytes` (413). A body that does not decompress is a 400 naming `(body)`.
 *
 * @example
 * const bytes = await readRawBody(request, 4 * 1024 * 1024);
 */
export function readRawBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    request.resume();
    return Promise.reject(tooLarge(maxBytes));
  }
  let decoder: Transform | undefined;
  try {
    decoder = decoderFor(request.headers['content-encoding']);
  } catch (thrown) {
    request.resume();
    return Promise.reject(toHeartbeatError(thrown));
  }
  return new Promise((resolve, reject) => new BodyReader(request, decoder, maxBytes, resolve, reject));
}

function decoderFor(encoding: string | undefined): Transform | undefined {
  if (encoding === undefined) return undefined;
  const value = encoding.trim().toLowerCase();
  switch (value) {
    case '':
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new HeartbeatError(
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding ${value} is not supported; use gzip or none`,
        { contentEncoding: value },
      );
  }
}

/**
 * One body being read: its chunks, its size, and how it ends. One object with a few listeners
 * rather than a closure per concern: every heartbeat and observation request reads a body.
 */
class BodyReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private rawSize = 0;
  private settled = false;

  constructor(
    private readonly request: IncomingMessage,
    private readonly decoder: Transform | undefined,
    private readonly maxBytes: number,
    private readonly resolve: (body: Buffer) => void,
    private readonly reject: (error: Error) => void,
  ) {
    const source = decoder ? request.pipe(decoder) : request;
    if (decoder) {
      request.on('data', (chunk: Buffer) => {
        this.rawSize += chunk.length;
        if (this.rawSize > maxBytes) this.fail(tooLarge(maxBytes));
      });
      decoder.on('error', (error: Error) =>
        this.fail(
          new HeartbeatError(
            'VALIDATION_FAILED',
            `the request body could not be decompressed: ${error.message}`,
            { field: '(body)' },
          ),
        ),
      );
    }
    source.on('data', (chunk: Buffer) => this.add(chunk));
    source.on('end', () => this.end());
    // A body cut short is bad input, not a fault of the hub: answer (if still possible) 400.
    request.on('error', (error) => this.cutShort(error.message));
    request.on('aborted', () => this.cutShort('the client closed the connection'));
  }

  private add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) this.fail(tooLarge(this.maxBytes));
    else if (!this.settled) this.chunks.push(chunk);
  }

  private end(): void {
    if (this.settled) return;
    this.settled = true;
    const { chunks } = this;
    this.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size));
  }

  private cutShort(why: string): void {
    this.fail(
      new HeartbeatError('VALIDATION_FAILED', `the request body was cut short: ${why}`, { field: '(body)' }),
    );
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    const { request, decoder } = this;
    if (decoder) request.unpipe(decoder);
    decoder?.destroy();
    // Drain what is left so the connection can answer; do not buffer it.
    request.resume();
    this.reject(error);
  }
}

function tooLarge(maxBytes: number): HeartbeatError {
  return new HeartbeatError(
    'PAYLOAD_TOO_LARGE',
    `the request body is larger than ${maxBytes} bytes; export smaller batches`,
    { maxBytes },
  );
}
