import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * The seeds live in `shared/seeds/` beside the repository (CI clones the repository with shared/
 * next to it). Tests read them from there instead of retyping them.
 */
export function seedsDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = resolve(dir, '..', 'shared', 'seeds');
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, '..');
  }
  throw new Error('shared/seeds/ was not found beside the repository; clone the repository next to shared/');
}

/** The text of the seed whose content includes `marker`. */
export function readSeed(marker: string): string {
  const dir = seedsDirectory();
  for (const file of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    if (text.includes(marker)) return text;
  }
  throw new Error(`no seed in ${dir} mentions ${JSON.stringify(marker)}`);
}

/** Seed 004's OpenAPI document, parsed from the YAML block in the seed. */
export function seedOpsHeartbeatOpenApi(): {
  paths: Record<string, unknown>;
  components: { schemas: Record<string, Record<string, unknown>> };
} {
  const seed = readSeed('HealthResponse');
  const block = /```yaml\n([\s\S]*?)```/.exec(seed)?.[1];
  if (!block) throw new Error('seed 004 has no ```yaml block');
  return parse(block) as ReturnType<typeof seedOpsHeartbeatOpenApi>;
}
