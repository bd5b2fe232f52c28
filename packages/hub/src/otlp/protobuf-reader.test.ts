import { describe, expect, it } from 'vitest';
import { ProtobufReader, WireFormatError } from './protobuf-reader.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('ProtobufReader', () => {
  it('reads varints of every length, as unsigned and as signed 64-bit', () => {
    expect(new ProtobufReader(bytes(0x00)).uint64()).toBe(0n);
    expect(new ProtobufReader(bytes(0x96, 0x01)).uint64()).toBe(150n);
    expect(new ProtobufReader(bytes(0xff, 0xff, 0xff, 0xff, 0x0f)).uint64()).toBe(0xffff_ffffn);
    expect(new ProtobufReader(bytes(0x80, 0x80, 0x80, 0x80, 0x10)).uint64()).toBe(0x1_0000_0000n);
    const minusOne = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    expect(new ProtobufReader(minusOne).uint64()).toBe(0xffff_ffff_ffff_ffffn);
    expect(new ProtobufReader(minusOne).int64()).toBe(-1n);
    expect(new ProtobufReader(bytes(0xac, 0x02)).uint53()).toBe(300);
    expect(new ProtobufReader(bytes(0x01)).bool()).toBe(true);
    expect(new ProtobufReader(minusOne).int32()).toBe(-1);
    expect(new ProtobufReader(bytes(0x02)).int32()).toBe(2);
  });

  it('refuses a varint longer than 10 bytes or cut off', () => {
    const eleven = new Uint8Array(11).fill(0x80);
    expect(() => new ProtobufReader(eleven).uint64()).toThrow(/longer than 10 bytes/);
    expect(() => new ProtobufReader(bytes(0x80, 0x80)).uint64()).toThrow(/cut off/);
  });

  it('reads fixed-width values little-endian, and refuses them cut off', () => {
    const reader = new ProtobufReader(
      bytes(1, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 7, 0, 0, 0),
    );
    expect(reader.fixed64()).toBe(0x8000_0000_0000_0001n);
    expect(reader.double()).toBe(1);
    expect(reader.fixed32()).toBe(7);
    expect(() => new ProtobufReader(bytes(1, 2, 3)).fixed64()).toThrow(/8-byte value is cut off/);
  });

  it('gives tags, refuses field 0, groups and unknown wire types', () => {
    const reader = new ProtobufReader(bytes(0x0a, 0x00, 0x10, 0x01));
    expect(reader.next()).toEqual({ field: 1, wireType: 2 });
    reader.skip(2);
    expect(reader.next()).toEqual({ field: 2, wireType: 0 });
    reader.skip(0);
    expect(reader.next()).toBeUndefined();
    expect(() => new ProtobufReader(bytes(0x02)).next()).toThrow(/field number 0/);
    expect(() => new ProtobufReader(bytes(0x0b)).next()).toThrow(/start-group wire type/);
    expect(() => new ProtobufReader(bytes(0x0c)).next()).toThrow(/end-group wire type/);
    expect(() => new ProtobufReader(bytes(0x0e)).next()).toThrow(/wire type 6/);
  });

  it('checks every length against what is left of the enclosing message', () => {
    // An embedded message of 3 bytes, inside which a string claims 5.
    const reader = new ProtobufReader(bytes(0x0a, 0x03, 0x0a, 0x05, 0x41, 0x42, 0x43));
    reader.next();
    const inner = reader.message();
    inner.next();
    expect(() => inner.string()).toThrow(
      /length of 5 bytes runs past the end of its message \(1 bytes left\)/,
    );
    // A length of 2^35: refused before anything is allocated.
    const huge = new ProtobufReader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
    expect(() => huge.bytesField()).toThrow(/34359738368 bytes runs past the end/);
  });

  it('reads strings as UTF-8 and bytes without copying', () => {
    const body = bytes(0x04, 0xc3, 0xa9, 0x74, 0xc3, 0x02, 0x01, 0x02);
    const reader = new ProtobufReader(body);
    expect(reader.string()).toBe('ét\ufffd');
    const field = reader.bytesField();
    expect([...field]).toEqual([1, 2]);
    expect(field.buffer).toBe(body.buffer);
    for (const text of ['', 'http.route', 'a'.repeat(64), 'b'.repeat(65), `${'c'.repeat(70)}ü`, 'ü']) {
      const encoded = Buffer.from(text);
      expect(new ProtobufReader(Uint8Array.from([encoded.length, ...encoded])).string()).toBe(text);
    }
  });

  it('reads fixed-width values of embedded messages at their own offsets, in a body that is a slice', () => {
    const value = Buffer.alloc(8);
    value.writeBigUInt64LE(123_456_789_012_345n);
    // One byte of junk, then field 1 holding a 9-byte message: field 1 as fixed64.
    const content = [0xaa, 0x0a, 0x09, 0x09, ...value];
    const padded = new Uint8Array(32);
    padded.set(content, 5);
    const reader = new ProtobufReader(padded.subarray(5, 5 + content.length), 1);
    reader.next();
    const inner = reader.message();
    expect(inner.next()).toEqual({ field: 1, wireType: 1 });
    expect(inner.fixed64()).toBe(123_456_789_012_345n);
    expect(inner.next()).toBeUndefined();
  });

  it('reports the byte offset of the failure', () => {
    const reader = new ProtobufReader(bytes(0x08, 0x01, 0x12, 0x09));
    reader.next();
    reader.skip(0);
    reader.next();
    try {
      reader.skip(2);
      expect.unreachable();
    } catch (thrown) {
      expect(thrown).toBeInstanceOf(WireFormatError);
      expect((thrown as WireFormatError).offset).toBe(3);
    }
  });
});
