import { HeartbeatError } from '@heartbeat/sdk';
import { ProblemList, type FieldProblem } from '../domain/validation.js';
import type { OtlpSpan, OtlpSpanEntry, OtlpTraceRequest } from './otlp-trace-request.js';
import { WireFormatError } from './protobuf-reader.js';

/*
 * What the JSON and protobuf decoders share: their options and limits, how a problem finds its
 * field, and how the result is collected.
 */

/** How an OTLP/HTTP body is encoded, from its Content-Type. */
export type OtlpEncoding = 'json' | 'protobuf';

export interface DecodeOtlpOptions {
  /**
   * Which span attributes to keep; the others are skipped without being decoded, so a request
   * costs memory for what the hub reads, not for what the sender attached. Default: all.
   */
  keepAttribute?: (key: string) => boolean;
  /** More spans than this in one request is a 413. Default {@link OTLP_DECODE_LIMITS}.maxSpans. */
  maxSpans?: number;
}

/** The bounds of decoding, beyond the body size the caller enforces. */
export const OTLP_DECODE_LIMITS = {
  /** Spans per request; a Collector's default batch is 8192. */
  maxSpans: 100_000,
  /** Attributes kept per span (after `keepAttribute`); the rest are skipped. SDKs default to 128. */
  maxAttributesPerSpan: 1024,
  /** How deep arrayValue / kvlistValue may nest inside an attribute value. */
  maxValueDepth: 8,
} as const;

/** A problem at `field`, relative to where it is caught; each level prefixes its own part. */
export class FieldError extends Error {
  override readonly name = 'FieldError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function joinField(outer: string, inner: string): string {
  if (!outer) return inner;
  if (!inner) return outer;
  return inner.startsWith('[') ? `${outer}${inner}` : `${outer}.${inner}`;
}

/** Turns a decoding failure into a problem at `field`; HeartbeatErrors and bugs go on up. */
export function toProblem(field: string, thrown: unknown): FieldProblem {
  if (thrown instanceof FieldError) return { field: joinField(field, thrown.field), message: thrown.message };
  if (thrown instanceof WireFormatError)
    return { field, message: `${thrown.message} (at byte ${thrown.offset})` };
  throw thrown;
}

/** Re-throws a failure inside `segment` with the segment in its field. */
export function within(segment: string, thrown: unknown): never {
  if (thrown instanceof FieldError || thrown instanceof WireFormatError) {
    const problem = toProblem(segment, thrown);
    throw new FieldError(problem.field, problem.message);
  }
  throw thrown;
}

export class RequestBuilder {
  private readonly spans: OtlpSpanEntry[] = [];
  private readonly problems = new ProblemList();
  private readonly maxSpans: number;

  constructor(options: DecodeOtlpOptions) {
    this.maxSpans = options.maxSpans ?? OTLP_DECODE_LIMITS.maxSpans;
  }

  span(field: string, span: OtlpSpan): void {
    this.count();
    this.spans.push({ field, span });
  }

  invalidSpan(field: string, thrown: unknown): void {
    this.count();
    this.spans.push({ field, problem: toProblem(field, thrown) });
  }

  /** A part around spans could not be read; the spans in it, if any, are lost. */
  brokenPart(field: string, thrown: unknown): void {
    const { field: where, message } = toProblem(field, thrown);
    this.problems.add(where, message);
  }

  finish(): OtlpTraceRequest {
    if (this.spans.length === 0 && this.problems.problems.length > 0)
      throw this.problems.toError('the OTLP trace request');
    return { spans: this.spans, problems: this.problems.problems };
  }

  private count(): void {
    if (this.spans.length >= this.maxSpans) {
      throw new HeartbeatError(
        'PAYLOAD_TOO_LARGE',
        `the request holds more than ${this.maxSpans} spans; export smaller batches`,
        { maxSpans: this.maxSpans },
      );
    }
  }
}

/** A hint for bodies that are plainly something else than the Content-Type said. */
export function lookHint(body: Uint8Array, expected: OtlpEncoding): string {
  if (body[0] === 0x1f && body[1] === 0x8b)
    return '; it looks gzip-compressed, so send it with Content-Encoding: gzip';
  if (expected === 'protobuf' && (body[0] === 0x7b || body[0] === 0x5b))
    return '; it looks like JSON, so send it with Content-Type: application/json';
  if (expected === 'json' && body[0] === 0x0a)
    return '; it looks like protobuf, so send it with Content-Type: application/x-protobuf';
  return '';
}
