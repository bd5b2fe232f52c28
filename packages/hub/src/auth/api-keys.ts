import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { HeartbeatError, type Logger } from '@heartbeat/sdk';
import type { Store } from '../store/store.js';
import { isScope, SCOPES, type ApiKeyRecord, type Scope } from './scopes.js';

/** Who is calling: a key's id, name and scopes (`admin` implies every scope). */
export interface Principal {
  keyId: string;
  name: string;
  scopes: ReadonlySet<Scope>;
}

const TOKEN_PATTERN = /^hb_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const CACHE_TTL_MS = 10_000;

/** A new key: `hb_<id>_<secret>`. Only the secret's hash is ever stored. */
export function generateKey(): { id: string; secret: string; token: string } {
  const id = randomBytes(8).toString('hex').slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, token: `hb_${id}_${secret}` };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Validates scopes given by a person: a non-empty list of known ones. */
export function parseScopes(value: unknown, field = 'scopes'): Scope[] {
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every(isScope)) {
    throw new HeartbeatError('VALIDATION_FAILED', `${field} must be one or more of ${SCOPES.join(', ')}`, {
      field,
      allowed: SCOPES,
    });
  }
  return [...new Set(list)];
}

export interface KeyRingOptions {
  store: Store;
  logger: Logger;
  /** `HEARTBEAT_ADMIN_KEY`: a token with every scope, kept in memory only (change the variable to rotate it). */
  adminKey?: string | undefined;
  now?: () => number;
}

/**
 * API keys: created with a name and scopes, stored hashed (SHA-256 of a 256-bit secret), compared
 * in constant time, cached for 10 s so a key revoked from another process stops working within that.
 */
export interface KeyRing {
  authenticate(token: string): Promise<Principal | undefined>;
  /** The principal of a token verified within the last 10 s, without waiting; undefined otherwise. */
  verifiedRecently(token: string): Principal | undefined;
  create(name: string, scopes: Scope[]): Promise<{ record: ApiKeyRecord; token: string }>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(id: string): Promise<boolean>;
  /**
   * On first start with no key at all and no admin key in the environment, creates an admin key
   * and returns its token (to print once); otherwise undefined.
   */
  bootstrap(): Promise<string | undefined>;
}

export function createKeyRing(options: KeyRingOptions): KeyRing {
  const { store } = options;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { record: ApiKeyRecord | undefined; until: number }>();
  /**
   * Tokens already verified, kept as long as key records are (10 s): an agent fleet sends the same
   * few keys thousands of times a second, and each check costs up to two SHA-256 hashes. Revoking a
   * key through this ring drops its tokens at once.
   */
  const verified = new Map<string, { principal: Principal; until: number }>();
  const adminHash = options.adminKey ? hashSecret(options.adminKey) : undefined;
  if (options.adminKey !== undefined && options.adminKey.length < 16) {
    throw new HeartbeatError(
      'CONFIGURATION_INVALID',
      'HEARTBEAT_ADMIN_KEY must be at least 16 characters; generate one with `openssl rand -base64 32`',
    );
  }

  async function lookup(id: string): Promise<ApiKeyRecord | undefined> {
    const cached = cache.get(id);
    if (cached && cached.until > now()) return cached.record;
    const record = await store.getKey(id);
    cache.set(id, { record, until: now() + CACHE_TTL_MS });
    return record;
  }

  function verifiedRecently(token: string): Principal | undefined {
    const known = verified.get(token);
    return known && known.until > now() ? known.principal : undefined;
  }

  /** Checks a token against the environment's admin key, then the stored keys (two SHA-256 at most). */
  async function verify(token: string): Promise<Principal | undefined> {
    if (adminHash && sameHash(hashSecret(token), adminHash)) {
      return { keyId: 'env:HEARTBEAT_ADMIN_KEY', name: 'HEARTBEAT_ADMIN_KEY', scopes: new Set(SCOPES) };
    }
    const match = TOKEN_PATTERN.exec(token);
    if (!match) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    const record = await lookup(id);
    if (!record || record.revokedAt !== null || !sameHash(hashSecret(secret), record.secretHash))
      return undefined;
    const scopes = new Set<Scope>(record.scopes.includes('admin') ? SCOPES : record.scopes);
    return { keyId: record.id, name: record.name, scopes };
  }

  return {
    verifiedRecently,

    async authenticate(token) {
      const known = verifiedRecently(token);
      if (known) return known;
      const principal = await verify(token);
      if (principal) {
        if (verified.size >= 10_000) verified.clear();
        verified.set(token, { principal, until: now() + CACHE_TTL_MS });
      }
      return principal;
    },

    async create(name, scopes) {
      if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
        throw new HeartbeatError('VALIDATION_FAILED', 'name must be 1 to 128 characters', { field: 'name' });
      }
      const { id, secret, token } = generateKey();
      const record: ApiKeyRecord = {
        id,
        name,
        scopes: parseScopes(scopes),
        secretHash: hashSecret(secret),
        createdAt: now(),
        revokedAt: null,
      };
      await store.createKey(record);
      cache.delete(id);
      return { record, token };
    },

    list: () => store.listKeys(),

    async revoke(id) {
      const revoked = await store.revokeKey(id, now());
      cache.delete(id);
      for (const [token, entry] of verified) if (entry.principal.keyId === id) verified.delete(token);
      return revoked;
    },

    async bootstrap() {
      if (adminHash) return undefined;
      const keys = await store.listKeys();
      if (keys.some((key) => key.revokedAt === null)) return undefined;
      const { token } = await this.create('bootstrap admin', ['admin']);
      options.logger.warn({}, 'no API key existed: created an admin key (printed once on stderr)');
      return token;
    },
  };
}
