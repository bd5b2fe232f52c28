import { describe, expect, it, onTestFinished } from 'vitest';
import { createTempPostgresDatabase, startTestHub } from '../../testing/test-hub.js';
import { POSTGRES_URL, requirePostgres } from '../../testing/test-stores.js';

const postgres = await requirePostgres();

describe('GET /v1/hub: the replicas', () => {
  it('on SQLite, is this hub alone, leading', async () => {
    const hub = await startTestHub();
    onTestFinished(() => hub.stop());
    const { body } = await hub.api('GET', '/v1/hub');
    expect(body.replicas).toEqual([
      {
        id: 'single',
        url: null,
        state: 'live',
        since: expect.any(String),
        leader: true,
        version: body.version,
        self: true,
      },
    ]);
  });

  it.skipIf(!postgres)(
    'on PostgreSQL, lists the replicas registered in the store, this one marked',
    async () => {
      const database = await createTempPostgresDatabase(POSTGRES_URL);
      onTestFinished(database.drop);
      const hub = await startTestHub({}, { store: database.url });
      onTestFinished(() => hub.stop());
      const { body } = await hub.api('GET', '/v1/hub');
      expect(body.replicas).toHaveLength(1);
      expect(body.replicas[0]).toMatchObject({ url: hub.url, state: 'live', leader: true, self: true });
      expect(body.replicas[0].id).toMatch(/^.+-[0-9a-f]{6}$/);
    },
  );
});
