import { describe, expect, it } from 'vitest';
import { fullMessage } from '../testing/store-fixtures.js';
import type { HeartbeatMessage } from './instance.js';
import { COMPARED_MESSAGE_FIELDS, sameMessageApartFromTimes } from './same-message.js';

describe('sameMessageApartFromTimes', () => {
  it('is true for equal messages built separately, and for one message with itself', () => {
    const message = fullMessage('a');
    expect(sameMessageApartFromTimes(message, message)).toBe(true);
    expect(sameMessageApartFromTimes(fullMessage('a'), fullMessage('a'))).toBe(true);
    expect(
      sameMessageApartFromTimes({ instanceId: 'a', service: 's' }, { service: 's', instanceId: 'a' }),
    ).toBe(true);
  });

  it('ignores heartbeatTime and lastHeartbeatTime: changed, added or left out', () => {
    const message = fullMessage('a');
    const { heartbeatTime, lastHeartbeatTime, ...withoutTimes } = message;
    expect(heartbeatTime).toBeDefined();
    expect(lastHeartbeatTime).toBeDefined();
    expect(sameMessageApartFromTimes(message, { ...message, heartbeatTime: 1, lastHeartbeatTime: 2 })).toBe(
      true,
    );
    expect(sameMessageApartFromTimes(message, withoutTimes)).toBe(true);
    expect(sameMessageApartFromTimes(withoutTimes, message)).toBe(true);
  });

  it('treats a field set to undefined as absent', () => {
    const message: HeartbeatMessage = { instanceId: 'a', service: 's' };
    expect(sameMessageApartFromTimes(message, { ...message, version: undefined })).toBe(true);
    expect(
      sameMessageApartFromTimes(
        { ...message, extInfo: { a: '1' } },
        { ...message, extInfo: { a: '1', b: undefined } as unknown as Record<string, string> },
      ),
    ).toBe(true);
  });

  it('sees any change of a scalar field, including one added or removed', () => {
    const message = fullMessage('a');
    const changes: Array<Partial<HeartbeatMessage>> = [
      { instanceId: 'b' },
      { service: 'other' },
      { appName: 'x' },
      { version: '1.2.4' },
      { hostName: 'pod-2' },
      { processId: 4243 },
      { interval: 15_000 },
      { status: 'ok' },
    ];
    for (const change of changes) {
      expect(sameMessageApartFromTimes(message, { ...message, ...change })).toBe(false);
      expect(sameMessageApartFromTimes({ ...message, ...change }, message)).toBe(false);
    }
    const { version, ...withoutVersion } = message;
    expect(version).toBeDefined();
    expect(sameMessageApartFromTimes(message, withoutVersion)).toBe(false);
    expect(sameMessageApartFromTimes(withoutVersion, message)).toBe(false);
  });

  it('compares arrays and objects by structure: order, length, nested fields and keys', () => {
    const message = fullMessage('a');
    const [first, second, third] = message.checks!;
    const variants: HeartbeatMessage[] = [
      { ...message, ip: [...message.ip!].reverse() },
      { ...message, ip: message.ip!.slice(1) },
      { ...message, ip: [...message.ip!, '10.0.0.8'] },
      { ...message, checks: [first!, { ...second!, message: 'changed' }, third!] },
      { ...message, checks: [first!, { name: second!.name, status: second!.status }, third!] },
      { ...message, plugins: [{ name: 'flowcontrol', version: '2.1.0', extInfo: { rules: 'other' } }] },
      { ...message, extInfo: { ...message.extInfo, zone: 'eu-west-1b' } },
      { ...message, extInfo: { ...message.extInfo, extra: '' } },
      { ...message, basepaths: [] },
      { ...message, basepaths: undefined },
      { ...message, extInfo: {} },
    ];
    for (const variant of variants) {
      expect(sameMessageApartFromTimes(message, variant)).toBe(false);
      expect(sameMessageApartFromTimes(variant, message)).toBe(false);
    }
    // Equal structure in new arrays and objects is the same message.
    expect(
      sameMessageApartFromTimes(message, {
        ...message,
        ip: [...message.ip!],
        checks: message.checks!.map((check) => ({ ...check })),
        extInfo: { ...message.extInfo },
      }),
    ).toBe(true);
  });

  it('sees a change of every field of the wire format but the agent times', () => {
    const message = fullMessage('a');
    const changed: { [K in keyof HeartbeatMessage]-?: HeartbeatMessage[K] } = {
      instanceId: 'b',
      service: 'other',
      status: 'ok',
      version: '9',
      hostName: 'other-host',
      processId: 1,
      interval: 1000,
      appName: 'other',
      appType: 'go',
      artifact: 'other',
      ip: ['10.0.0.7'],
      basepaths: ['/other'],
      extInfo: { zone: 'other' },
      checks: [{ name: 'db', status: 'ok' }],
      plugins: [{ name: 'monitor' }],
      heartbeatTime: 1,
      lastHeartbeatTime: 2,
    };
    for (const [field, compared] of Object.entries(COMPARED_MESSAGE_FIELDS)) {
      const variant = { ...message, [field]: changed[field as keyof HeartbeatMessage] };
      expect(sameMessageApartFromTimes(message, variant), field).toBe(!compared);
      const { [field as keyof HeartbeatMessage]: _left, ...without } = message;
      expect(sameMessageApartFromTimes(message, without as HeartbeatMessage), field).toBe(!compared);
    }
  });

  it('does not confuse an array with an object, or an object with null', () => {
    const message: HeartbeatMessage = { instanceId: 'a', service: 's', extInfo: {} };
    const asArray = { ...message, extInfo: [] as unknown as Record<string, string> };
    const asNull = { ...message, extInfo: null as unknown as Record<string, string> };
    expect(sameMessageApartFromTimes(message, asArray)).toBe(false);
    expect(sameMessageApartFromTimes(asArray, message)).toBe(false);
    expect(sameMessageApartFromTimes(message, asNull)).toBe(false);
    expect(sameMessageApartFromTimes(asNull, message)).toBe(false);
  });
});
