import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HeartbeatError } from '@heartbeat/sdk';

/**
 * Reads a JSON request body with every limit a public endpoint needs: the content type must be
 * JSON (415), the encoding identity/gzip/deflate/br (415), the body — raw and decompressed, so a
 * zip bomb is cut short — at most `maxBytes` (413), and it must parse (400, with where it broke).
 */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== undefined && type !== 'application/json' && !type.endsWith('+json')) {
    throw new HeartbeatError(
      'UNSUPPORTED_MEDIA_TYPE',
      `send JSON with Content-Type: application/json, not ${type}`,
      {
        contentType: type,
      },
    );
  }
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    request.resume();
    throw tooLarge(maxBytes);
  }
  const text = await readText(request, decoderFor(request.headers['content-encoding']), maxBytes);
  if (text.length === 0) {
    throw new HeartbeatError('INVALID_JSON', 'the request body is empty; send a JSON document', {
      field: '(body)',
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (thrown) {
    throw new HeartbeatError(
      'INVALID_JSON',
      `the request body is not valid JSON: ${(thrown as Error).message}`,
      {
        field: '(body)',
      },
    );
  }
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
        {
          contentEncoding: value,
        },
      );
  }
}

function readText(
  request: IncomingMessage,
  decoder: Transform | undefined,
  maxBytes: number,
): Promise<string> {
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
          new HeartbeatError('INVALID_JSON', `the request body could not be decompressed: ${error.message}`, {
            field: '(body)',
          }),
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
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    });
    request.on('error', (error) => fail(error));
    request.on('aborted', () => fail(new Error('the client closed the connection mid-body')));
  });
}

function tooLarge(maxBytes: number): HeartbeatError {
  return new HeartbeatError(
    'PAYLOAD_TOO_LARGE',
    `the request body is larger than ${maxBytes} bytes; send smaller batches`,
    { maxBytes },
  );
}
