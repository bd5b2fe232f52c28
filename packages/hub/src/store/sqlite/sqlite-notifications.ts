import type Database from 'better-sqlite3';
import type {
  AlertStateRecord,
  DeliveryOutcome,
  DeliveryQuery,
  DeliveryRecord,
  DeliveryStatus,
  NotificationStore,
  NotificationWrite,
} from '../store.js';

interface DeliveryRow {
  id: number;
  created_at: number;
  notifier: string;
  rule: string;
  kind: string;
  title: string;
  message: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  delivered_at: number | null;
  updated_at: number;
}

const DELIVERY_COLUMNS =
  'id, created_at, notifier, rule, kind, title, message, status, attempts, next_attempt_at, last_error, delivered_at, updated_at';

function toDelivery(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    createdAt: row.created_at,
    notifier: row.notifier,
    rule: row.rule,
    kind: row.kind,
    title: row.title,
    message: JSON.parse(row.message) as unknown,
    nextAttemptAt: row.next_attempt_at,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
    updatedAt: row.updated_at,
  };
}

function prepare(db: Database.Database) {
  const insert = db.prepare<[number, string, string, string, string, string, number, number], DeliveryRow>(
    `INSERT INTO notification_deliveries
       (created_at, notifier, rule, kind, title, message, status, attempts, next_attempt_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING ${DELIVERY_COLUMNS}`,
  );
  const upsertAlert = db.prepare<[string, string, string, number]>(
    `INSERT INTO alert_states (rule, key, state, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (rule, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
  );
  const deleteAlert = db.prepare<[string, string]>('DELETE FROM alert_states WHERE rule = ? AND key = ?');
  const write = db.transaction((batch: NotificationWrite) => {
    const stored: DeliveryRecord[] = [];
    for (const d of batch.deliveries ?? []) {
      const row = insert.get(
        d.createdAt,
        d.notifier,
        d.rule,
        d.kind,
        d.title,
        JSON.stringify(d.message),
        d.nextAttemptAt,
        d.createdAt,
      );
      if (row) stored.push(toDelivery(row));
    }
    for (const alert of batch.alerts ?? [])
      upsertAlert.run(alert.rule, alert.key, JSON.stringify(alert.state), alert.updatedAt);
    for (const alert of batch.deletedAlerts ?? []) deleteAlert.run(alert.rule, alert.key);
    return stored;
  });
  const claimAny = db.prepare<[string, number, number, number, number], DeliveryRow>(
    `UPDATE notification_deliveries SET lease_owner = ?, lease_until = ?
     WHERE id IN (
       SELECT id FROM notification_deliveries
       WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
       ORDER BY next_attempt_at, id LIMIT ?)
     RETURNING ${DELIVERY_COLUMNS}`,
  );
  const claimOne = db.prepare<[string, number, number, number, string, number], DeliveryRow>(
    `UPDATE notification_deliveries SET lease_owner = ?, lease_until = ?
     WHERE id IN (
       SELECT id FROM notification_deliveries
       WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
         AND notifier = ?
       ORDER BY next_attempt_at, id LIMIT ?)
     RETURNING ${DELIVERY_COLUMNS}`,
  );
  const finish = db.prepare<[string, number | null, string | null, number | null, number, number, string]>(
    `UPDATE notification_deliveries
     SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at), last_error = ?,
         delivered_at = ?, updated_at = ?, attempts = attempts + 1, lease_owner = NULL, lease_until = NULL
     WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
  );
  const finishAll = db.transaction(
    (owner: string, finished: readonly { id: number; outcome: DeliveryOutcome }[]) => {
      const recorded: number[] = [];
      for (const { id, outcome } of finished) {
        const changed = finish.run(
          outcome.status,
          outcome.status === 'pending' ? outcome.nextAttemptAt : null,
          outcome.status === 'delivered' ? null : outcome.error,
          outcome.status === 'delivered' ? outcome.at : null,
          outcome.at,
          id,
          owner,
        ).changes;
        if (changed > 0) recorded.push(id);
      }
      return recorded;
    },
  );
  const release = db.prepare<[number, string]>(
    `UPDATE notification_deliveries SET lease_owner = NULL, lease_until = NULL
     WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
  );
  const releaseAll = db.transaction((owner: string, ids: readonly number[]) => {
    let count = 0;
    for (const id of ids) count += release.run(id, owner).changes;
    return count;
  });
  const alerts = db.prepare<[], { rule: string; key: string; state: string; updated_at: number }>(
    'SELECT rule, key, state, updated_at FROM alert_states ORDER BY rule, key',
  );
  const prune = db.prepare<[number]>(
    `DELETE FROM notification_deliveries WHERE status IN ('delivered', 'failed') AND updated_at < ?`,
  );
  return { write, claimAny, claimOne, finishAll, releaseAll, alerts, prune };
}

/**
 * The notification part of the SQLite store. One connection, so a claim's UPDATE … RETURNING is
 * atomic on its own; leases still matter when several processes share the file.
 */
export function createSqliteNotifications(
  db: Database.Database,
  guard: <T>(work: () => T) => Promise<T>,
): NotificationStore {
  let statements: ReturnType<typeof prepare> | undefined;
  const run = <T>(work: (s: ReturnType<typeof prepare>) => T): Promise<T> =>
    guard(() => work((statements ??= prepare(db))));
  const cached = new Map<string, Database.Statement<unknown[], DeliveryRow>>();

  return {
    recordNotifications: (batch) => run((s) => s.write(batch)),
    loadAlertStates: () =>
      run((s) =>
        s.alerts.all().map((row): AlertStateRecord => ({
          rule: row.rule,
          key: row.key,
          state: JSON.parse(row.state) as unknown,
          updatedAt: row.updated_at,
        })),
      ),
    claimDueDeliveries: ({ now, leaseMs, owner, limit, notifier }) =>
      run((s) => {
        const count = Math.floor(limit);
        if (!(count > 0)) return [];
        const rows =
          notifier === undefined
            ? s.claimAny.all(owner, now + leaseMs, now, now, count)
            : s.claimOne.all(owner, now + leaseMs, now, now, notifier, count);
        return rows.map(toDelivery).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
      }),
    finishDeliveries: (owner, finished) =>
      run((s) => (finished.length === 0 ? [] : s.finishAll(owner, finished))),
    releaseDeliveries: (owner, ids) => run((s) => (ids.length === 0 ? 0 : s.releaseAll(owner, ids))),
    listDeliveries: (query: DeliveryQuery) =>
      run(() => {
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
          where.push(`${column} = ?`);
          params.push(value);
        }
        if (query.beforeId !== undefined) {
          where.push('id < ?');
          params.push(query.beforeId);
        }
        const sql =
          `SELECT ${DELIVERY_COLUMNS} FROM notification_deliveries` +
          (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
          ' ORDER BY id DESC LIMIT ?';
        let statement = cached.get(sql);
        if (statement === undefined) {
          statement = db.prepare<unknown[], DeliveryRow>(sql);
          cached.set(sql, statement);
        }
        return statement.all(...params, limit).map(toDelivery);
      }),
    pruneDeliveries: (before) => run((s) => s.prune.run(before).changes),
  };
}
