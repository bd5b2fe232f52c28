/** What a key may do: read the API, push heartbeats and observations, change configuration. */
export type Scope = 'read' | 'ingest' | 'admin';

export const SCOPES: readonly Scope[] = ['read', 'ingest', 'admin'];

export function isScope(value: unknown): value is Scope {
  return value === 'read' || value === 'ingest' || value === 'admin';
}

/** An API key as stored: never the secret, only its hash. */
export interface ApiKeyRecord {
  /** Public identifier, also the first part of the key (`hb_<id>_<secret>`). */
  id: string;
  name: string;
  scopes: Scope[];
  /** SHA-256 of the secret part, hex. */
  secretHash: string;
  createdAt: number;
  revokedAt: number | null;
}
