import { join } from 'node:path';
import { afterAll, describe } from 'vitest';
import {
  createTempDir,
  openTempPostgresStore,
  openTempSqliteStore,
  requirePostgres,
} from '../testing/test-stores.js';
import { runStoreContract } from './store.contract.js';

const dir = await createTempDir('hb-store-contract-');
afterAll(() => dir.remove());
let opened = 0;
runStoreContract('sqlite', () =>
  Promise.resolve(openTempSqliteStore(join(dir.path, `store-${++opened}.db`))),
);

// Each test gets its own schema (hb_test_<random>), dropped when the test ends.
const postgres = await requirePostgres();
describe.skipIf(!postgres)('on PostgreSQL', () => {
  runStoreContract('postgres', () => Promise.resolve(openTempPostgresStore()));
});
