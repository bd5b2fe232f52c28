/**
 * A small reader for the protobuf wire format, enough for OTLP's ExportTraceServiceRequest.
 *
 * Why hand-written: the OpenTelemetry JS packages ship protobuf encoders but no request decoder,
 * and `protobufjs` plus the .proto files would be a runtime dependency (and a code generator) for
 * the dozen fields the hub reads. This reader is bounded by construction: every length is checked
 * against the bytes that are left in the enclosing message before anything is sliced, varints stop
 * after 10 bytes, nothing is copied except strings, and group wire types (deprecated, and a way to
 * nest without lengths) are refused. Nesting depth is bounded by the callers, which decode a fixed
 * schema and cap the one recursive part (AnyValue).
 *
 * Every failure is a {@link WireFormatError} carrying the byte offset; callers turn it into a
 * HeartbeatError naming the field.
 */

/** The wire types of the protobuf encoding. 3 and 4 (groups) are refused. */
export type WireType = 0 | 1 | 2 | 5;

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

const WIRE_TYPE_NAMES: Record<number, string> = {
  0: 'varint',
  1: 'fixed64',
  2: 'length-delimited',
  3: 'start-group',
  4: 'end-group',
  5: 'fixed32',
};

export function wireTypeName(wireType: number): string {
  return WIRE_TYPE_NAMES[wireType] ?? `unknown wire type ${wireType}`;
}

/** The wire format is broken at `offset` (bytes from the start of the body). */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';

  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface FieldTag {
  field: number;
  wireType: WireType;
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const TWO_32 = 4_294_967_296;

/**
 * Reads one message: `next()` gives each field's tag, then the caller reads the value with the
 * method for the expected wire type, or `skip()`s it. `message()` gives a reader over an embedded
 * message, confined to that message's bytes.
 *
 * @example
 * const reader = new ProtobufReader(bytes);
 * for (let tag = reader.next(); tag; tag = reader.next()) {
 *   if (tag.field === 5 && tag.wireType === WIRE_LENGTH_DELIMITED) name = reader.string();
 *   else reader.skip(tag.wireType);
 * }
 */
export class ProtobufReader {
  private pos: number;
  /** The last varint read, as unsigned 32-bit halves (see `varint64`). */
  private low = 0;
  private high = 0;
  /** One view of the whole body, shared by the readers of embedded messages. */
  private readonly data: DataView;

  /**
   * @param bytes the whole body
   * @param start first byte of this message
   * @param end one past its last byte
   */
  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
    data?: DataView,
  ) {
    this.pos = start;
    this.data = data ?? new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Where the reader is, in bytes from the start of the body. */
  get offset(): number {
    return this.pos;
  }

  /** The next field's tag, or undefined at the end of the message. */
  next(): FieldTag | undefined {
    if (this.pos >= this.end) return undefined;
    const at = this.pos;
    const key = this.varint32();
    const field = key >>> 3;
    const wireType = key & 7;
    if (field === 0) throw new WireFormatError('field number 0 is not valid', at);
    if (wireType === 3 || wireType === 4)
      throw new WireFormatError(
        `field ${field} uses the ${wireTypeName(wireType)} wire type (groups are not supported)`,
        at,
      );
    if (wireType !== 0 && wireType !== 1 && wireType !== 2 && wireType !== 5)
      throw new WireFormatError(`field ${field} has wire type ${wireType}, which does not exist`, at);
    return { field, wireType };
  }

  /** A varint as an unsigned 64-bit integer. */
  uint64(): bigint {
    this.varint64();
    return (BigInt(this.high) << 32n) | BigInt(this.low);
  }

  /** A varint as a signed 64-bit integer (two's complement, as `int64` is encoded). */
  int64(): bigint {
    return BigInt.asIntN(64, this.uint64());
  }

  /**
   * A varint as a JavaScript number: exact up to 2^53, the nearest double above that. Enums and
   * counts; negative `int32` enums (10-byte varints) come out as their two's-complement value.
   */
  uint53(): number {
    this.varint64();
    return this.high * TWO_32 + this.low;
  }

  /** A varint as a signed 32-bit integer (`int32`, enums): the low 32 bits, as protobuf truncates. */
  int32(): number {
    this.varint64();
    return this.low | 0;
  }

  bool(): boolean {
    this.varint64();
    return this.low !== 0 || this.high !== 0;
  }

  /** A little-endian fixed64 as an unsigned 64-bit integer (`fixed64` timestamps). */
  fixed64(): bigint {
    return this.data.getBigUint64(this.advance(8), true);
  }

  double(): number {
    return this.data.getFloat64(this.advance(8), true);
  }

  fixed32(): number {
    return this.data.getUint32(this.advance(4), true);
  }

  /** The bytes of a length-delimited field, without copying. */
  bytesField(): Uint8Array {
    const start = this.delimited();
    return this.bytes.subarray(start, this.pos);
  }

  /** A length-delimited field as UTF-8 text (invalid sequences become U+FFFD). */
  string(): string {
    const start = this.delimited();
    return decodeUtf8(this.bytes, start, this.pos);
  }

  /** A reader over an embedded message, confined to its bytes. */
  message(): ProtobufReader {
    const start = this.delimited();
    return new ProtobufReader(this.bytes, start, this.pos, this.data);
  }

  /** Skips a field's value of the given wire type. */
  skip(wireType: WireType): void {
    switch (wireType) {
      case 0:
        this.varint64();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.delimited();
        return;
      case 5:
        this.advance(4);
        return;
    }
  }

  /** Reads a length prefix and moves past the bytes it announces; gives where they start (they end at `pos`). */
  private delimited(): number {
    const at = this.pos;
    this.varint64();
    const { low, high } = this;
    const left = this.end - this.pos;
    if (high !== 0 || low > left)
      throw new WireFormatError(
        `a length of ${high === 0 ? low : high * TWO_32 + low} bytes runs past the end of its message (${left} bytes left)`,
        at,
      );
    const start = this.pos;
    this.pos += low;
    return start;
  }

  /** Moves past `size` bytes; gives where they start. */
  private advance(size: number): number {
    const start = this.pos;
    if (this.end - start < size)
      throw new WireFormatError(`a ${size}-byte value is cut off (${this.end - start} bytes left)`, start);
    this.pos += size;
    return start;
  }

  private varint32(): number {
    this.varint64();
    if (this.high !== 0) throw new WireFormatError('a field tag is larger than 32 bits', this.pos);
    return this.low;
  }

  /**
   * Reads a varint of at most 10 bytes into `low` and `high` (its unsigned low and high 32 bits).
   * Scratch fields rather than a returned pair: this runs for every tag and length.
   */
  private varint64(): void {
    const at = this.pos;
    if (at < this.end) {
      const first = this.bytes[at]!;
      if (first < 0x80) {
        this.pos = at + 1;
        this.low = first;
        this.high = 0;
        return;
      }
    }
    let low = 0;
    let high = 0;
    for (let index = 0; index < 10; index++) {
      if (this.pos >= this.end)
        throw new WireFormatError('a varint is cut off by the end of its message', at);
      const byte = this.bytes[this.pos++]!;
      const bits = byte & 0x7f;
      if (index < 4) low |= bits << (7 * index);
      else if (index === 4) {
        low |= (bits & 0x0f) << 28;
        high |= bits >>> 4;
      } else high |= bits << (7 * index - 32);
      if ((byte & 0x80) === 0) {
        this.low = low >>> 0;
        this.high = high >>> 0;
        return;
      }
    }
    throw new WireFormatError('a varint is longer than 10 bytes', at);
  }
}

/** Short ASCII text (keys, routes) is built in JS: faster than a TextDecoder call for a few bytes. */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 64) return utf8.decode(bytes.subarray(start, end));
  let text = '';
  for (let index = start; index < end; index++) {
    const byte = bytes[index]!;
    if (byte >= 0x80) return utf8.decode(bytes.subarray(start, end));
    text += String.fromCharCode(byte);
  }
  return text;
}
