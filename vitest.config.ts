import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const sdk = (file: string) => fileURLToPath(new URL(`./packages/sdk/src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; the published packages resolve to dist/.
    alias: [
      { find: /^@heartbeat\/sdk$/, replacement: sdk('index.ts') },
      { find: /^@heartbeat\/sdk\/(express|fastify|hono)$/, replacement: sdk('adapters/$1.ts') },
      {
        find: /^@heartbeat\/hub$/,
        replacement: fileURLToPath(new URL('./packages/hub/src/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
