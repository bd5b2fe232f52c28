import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HeartbeatError } from '@heartbeat/sdk';

/**
 * Reads a request body as bytes, with every limit a public endpoint needs, and no
 * opinion on the content: the encoding must be identity, gzip (what OTLP exporters send), deflate
 * or br (415 otherwise), and the body — raw and decompressed, so a zip bomb is cut short — at most
 * `maxBytes` (413). A body that does not decompress is a 400 naming `(body)`.
 *
 * @example
 * const bytes = await readRawBody(request, 4 * 1024 * 1024);
 */
export async function readRawBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    request.resume();
    throw tooLarge(maxBytes);
  }
  let decoder: Transform | undefined;
  try {
    decoder = decoderFor(request.headers['content-encoding']);
  } catch (thrown) {
    request.resume();
    throw thrown;
  }
  return readBytes(request, decoder, maxBytes);
}

function decoderFor(encoding: string | undefined): Transform | undefined {
  const value = encoding?.trim().toLowerCase();
  switch (value) {
    case undefined:
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

function readBytes(
  request: IncomingMessage,
  decoder: Transform | undefined,
  maxBytes: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const source = decoder ? request.pipe(decoder) : request;
    const chunks: Buffer[] = [];
    let size = 0;
    let rawSize = 0;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      if (decoder) request.unpipe(decoder);
      decoder?.destroy();
      // Drain what is left so the connection can answer; do not buffer it.
      request.resume();
      reject(error);
    };
    if (decoder) {
      request.on('data', (chunk: Buffer) => {
        rawSize += chunk.length;
        if (rawSize > maxBytes) fail(tooLarge(maxBytes));
      });
      decoder.on('error', (error: Error) =>
        fail(
          new HeartbeatError(
            'VALIDATION_FAILED',
            `the request body could not be decompressed: ${error.message}`,
            { field: '(body)' },
          ),
        ),
      );
    }
    source.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return fail(tooLarge(maxBytes));
      if (!settled) chunks.push(chunk);
    });
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    // A body cut short is bad input, not a fault of the hub: answer (if still possible) 400.
    const cutShort = (why: string) =>
      fail(
        new HeartbeatError('VALIDATION_FAILED', `the request body was cut short: ${why}`, {
          field: '(body)',
        }),
      );
    request.on('error', (error) => cutShort(error.message));
    request.on('aborted', () => cutShort('the client closed the connection'));
  });
}

function tooLarge(maxBytes: number): HeartbeatError {
  return new HeartbeatError(
    'PAYLOAD_TOO_LARGE',
    `the request body is larger than ${maxBytes} bytes; export smaller batches`,
    { maxBytes },
  );
}
