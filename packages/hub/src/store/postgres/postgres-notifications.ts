import type pg from 'pg';
import type {
  AlertStateRecord,
  DeliveryRecord,
  DeliveryStatus,
  NotificationStore,
  NotificationWrite,
} from '../store.js';

interface DeliveryRow {
  id: string;
  created_at: string;
  notifier: string;
  rule: string;
  kind: string;
  title: string;
  message: unknown;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  delivered_at: string | null;
  updated_at: string;
}

const DELIVERY_COLUMNS =
  'id, created_at, notifier, rule, kind, title, message, status, attempts, next_attempt_at, last_error, delivered_at, updated_at';

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    id: Number(row.id),
    createdAt: Number(row.created_at),
    notifier: row.notifier,
    rule: row.rule,
    kind: row.kind,
    title: row.title,
    message: row.message,
    nextAttemptAt: Number(row.next_attempt_at),
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    lastError: row.last_error,
    deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
    updatedAt: Number(row.updated_at),
  };
}

const INSERT_DELIVERIES = `
  INSERT INTO notification_deliveries
    (created_at, notifier, rule, kind, title, message, status, attempts, next_attempt_at, updated_at)
  SELECT (d->>'createdAt')::bigint, d->>'notifier', d->>'rule', d->>'kind', d->>'title', d->'message',
         'pending', 0, (d->>'nextAttemptAt')::bigint, (d->>'createdAt')::bigint
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(d, ord)
  ORDER BY ord
  RETURNING ${DELIVERY_COLUMNS}`;

const UPSERT_ALERTS = `
  INSERT INTO alert_states (rule, key, state, updated_at)
  SELECT a->>'rule', a->>'key', a->'state', (a->>'updatedAt')::bigint FROM jsonb_array_elements($1::jsonb) a
  ON CONFLICT (rule, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`;

const DELETE_ALERTS = `
  DELETE FROM alert_states s USING jsonb_array_elements($1::jsonb) a
  WHERE s.rule = a->>'rule' AND s.key = a->>'key'`;

/** Takes due rows no other hub is claiming right now (SKIP LOCKED), in one statement. */
const CLAIM = `
  UPDATE notification_deliveries SET lease_owner = $1, lease_until = $2
  WHERE id IN (
    SELECT id FROM notification_deliveries
    WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
      AND ($4::text IS NULL OR notifier = $4)
    ORDER BY next_attempt_at, id
    LIMIT $5
    FOR UPDATE SKIP LOCKED)
  RETURNING ${DELIVERY_COLUMNS}`;

const FINISH = `
  UPDATE notification_deliveries
  SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at), last_error = $3, delivered_at = $4,
      updated_at = $5, attempts = attempts + 1, lease_owner = NULL, lease_until = NULL
  WHERE id = $6 AND lease_owner = $7 AND status = 'pending'`;

/** The notification part of the PostgreSQL store, on the store's connection helpers. */
export function createPostgresNotifications(
  withClient: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
  transaction: <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
): NotificationStore {
  return {
    recordNotifications(batch: NotificationWrite) {
      return transaction(async (client) => {
        let stored: DeliveryRecord[] = [];
        if (batch.deliveries?.length) {
          const { rows } = await client.query<DeliveryRow>(INSERT_DELIVERIES, [
            JSON.stringify(batch.deliveries),
          ]);
          stored = rows.map(toDelivery).sort((a, b) => a.id - b.id);
        }
        if (batch.alerts?.length) await client.query(UPSERT_ALERTS, [JSON.stringify(batch.alerts)]);
        if (batch.deletedAlerts?.length)
          await client.query(DELETE_ALERTS, [JSON.stringify(batch.deletedAlerts)]);
        return stored;
      });
    },
    loadAlertStates() {
      return withClient(async (client) => {
        const { rows } = await client.query<{
          rule: string;
          key: string;
          state: unknown;
          updated_at: string;
        }>('SELECT rule, key, state, updated_at FROM alert_states ORDER BY rule, key');
        return rows.map((row): AlertStateRecord => ({
          rule: row.rule,
          key: row.key,
          state: row.state,
          updatedAt: Number(row.updated_at),
        }));
      });
    },
    claimDueDeliveries({ now, leaseMs, owner, limit, notifier }) {
      return withClient(async (client) => {
        const count = Math.floor(limit);
        if (!(count > 0)) return [];
        const { rows } = await client.query<DeliveryRow>(CLAIM, [
          owner,
          now + leaseMs,
          now,
          notifier ?? null,
          count,
        ]);
        return rows.map(toDelivery).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
      });
    },
    finishDeliveries(owner, finished) {
      if (finished.length === 0) return withClient(() => Promise.resolve([]));
      return transaction(async (client) => {
        const recorded: number[] = [];
        for (const { id, outcome } of finished) {
          const result = await client.query(FINISH, [
            outcome.status,
            outcome.status === 'pending' ? outcome.nextAttemptAt : null,
            outcome.status === 'delivered' ? null : outcome.error,
            outcome.status === 'delivered' ? outcome.at : null,
            outcome.at,
            id,
            owner,
          ]);
          if ((result.rowCount ?? 0) > 0) recorded.push(id);
        }
        return recorded;
      });
    },
    releaseDeliveries(owner, ids) {
      return withClient(async (client) => {
        if (ids.length === 0) return 0;
        const result = await client.query(
          `UPDATE notification_deliveries SET lease_owner = NULL, lease_until = NULL
           WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'pending'`,
          [ids, owner],
        );
        return result.rowCount ?? 0;
      });
    },
    listDeliveries(query) {
      return withClient(async (client) => {
        const limit = Math.floor(query.limit);
        if (!(limit > 0)) return [];
        const where: string[] = [];
        const params: (string | number)[] = [];
        for (const [column, value] of [
          ['status', query.status],
          ['notifier', query.notifier],
          ['rule', query.rule],
        ] as const) {
          if (value === undefined) continue;
          params.push(value);
          where.push(`${column} = $${params.length}`);
        }
        if (query.beforeId !== undefined) {
          params.push(query.beforeId);
          where.push(`id < $${params.length}`);
        }
        params.push(limit);
        const { rows } = await client.query<DeliveryRow>(
          `SELECT ${DELIVERY_COLUMNS} FROM notification_deliveries` +
            (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
            ` ORDER BY id DESC LIMIT $${params.length}`,
          params,
        );
        return rows.map(toDelivery);
      });
    },
    pruneDeliveries(before) {
      return withClient(async (client) => {
        const result = await client.query(
          `DELETE FROM notification_deliveries WHERE status IN ('delivered', 'failed') AND updated_at < $1`,
          [before],
        );
        return result.rowCount ?? 0;
      });
    },
  };
}
