import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// The built binary, as a user runs it (`npm run build` first).
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hb-cli-'));
  dirs.push(dir);
  return dir;
}

function heartbeat(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('heartbeat hub', () => {
  it('refuses a bad configuration, naming the file, line and what to write, and exits 1', async () => {
    const dir = await tempDir();
    const file = join(dir, 'hub.yaml');
    await writeFile(file, 'server:\n  port: 8900\ninstances:\n  validTime: sixty\n  retenion: 10m\n');
    const run = await heartbeat(['hub', '--config', file, '--data', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}:4:14: instances.validTime: "sixty" is not a duration`);
    expect(run.stderr).toMatch(/hub\.yaml:5:3: instances\.retenion: unknown key.*did you mean "retention"/);
  });

  it('refuses a bad flag with exit 1 and says which flag', async () => {
    const run = await heartbeat(['hub', '--port', 'abc', '--data', await tempDir()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--port');
  });
});

describe('heartbeat keys', () => {
  it('creates, lists and revokes keys in the hub’s store, never printing a secret twice', async () => {
    const data = await tempDir();
    const created = await heartbeat([
      'keys',
      'create',
      '--scope',
      'ingest',
      '--scope',
      'read',
      '--name',
      'agents',
      '--data',
      data,
    ]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^hb_([a-z0-9]{12})_[A-Za-z0-9_-]{43}$/);
    const id = /^hb_([a-z0-9]{12})_/.exec(token)![1]!;
    expect(created.stderr).toContain(`created key ${id} "agents" with scopes ingest, read`);

    const listed = await heartbeat(['keys', 'list', '--data', data]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+agents\\s+ingest,read\\s+\\S+\\s+active`));
    expect(listed.stdout).not.toContain(token.slice(20));

    expect((await heartbeat(['keys', 'revoke', id, '--data', data])).code).toBe(0);
    const json = JSON.parse((await heartbeat(['keys', 'list', '--json', '--data', data])).stdout) as Array<{
      id: string;
      revokedAt: number | null;
    }>;
    expect(json).toEqual([expect.objectContaining({ id, revokedAt: expect.any(Number) })]);
    const again = await heartbeat(['keys', 'revoke', id, '--data', data]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no active key with id ${id}`);
  });

  it('refuses an unknown scope with exit 2 and lists the allowed ones', async () => {
    const run = await heartbeat(['keys', 'create', '--scope', 'root', '--data', await tempDir()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Allowed choices are read, ingest, admin/);
  });
});
