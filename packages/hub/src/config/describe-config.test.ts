import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { field, list, optionalField, requiredField, section, type SectionNode } from './config-schema.js';
import {
  describeConfig,
  describeHubConfig,
  extractGeneratedTable,
  GENERATED_END,
  GENERATED_START,
  replaceGeneratedTable,
} from './describe-config.js';
import { types } from './value-types.js';

const DOC = fileURLToPath(new URL('../../../../docs/hub-config.md', import.meta.url));

/** Cells without padding, so a formatter re-aligning the table is not a difference. */
const cells = (table: string | undefined): string[][] =>
  (table ?? '')
    .trim()
    .split('\n')
    .map((line) =>
      line
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/^-+$/, '---')),
    );

describe('docs/hub-config.md', () => {
  it('holds exactly the table the schema gives (UPDATE_DOCS=1 rewrites it)', async () => {
    const table = describeHubConfig();
    let markdown = await readFile(DOC, 'utf8');
    if (process.env.UPDATE_DOCS === '1') {
      markdown = replaceGeneratedTable(markdown, table);
      await writeFile(DOC, markdown);
    }
    expect(
      cells(extractGeneratedTable(markdown)),
      'docs/hub-config.md is out of date with HUB_CONFIG_SCHEMA; regenerate it with\n' +
        '  UPDATE_DOCS=1 npx vitest run packages/hub/src/config/describe-config.test.ts',
    ).toEqual(cells(table));
  });
});

describe('describeConfig', () => {
  interface Example {
    server: { port: number };
    token?: string;
    apis: { basepath: string; window: number }[];
  }
  const schema: SectionNode<Example> = section({
    server: section({
      port: field(types.port(), {
        default: 80,
        doc: 'where | to listen',
        envAliases: ['HEARTBEAT_PORT'],
        flag: 'port',
      }),
    }),
    token: optionalField(types.string(), { doc: 'a token' }),
    apis: list(
      section({
        basepath: requiredField(types.string(), { doc: 'the API' }),
        window: field(types.duration(), { default: 300_000, doc: 'status window' }),
      }),
      { doc: 'APIs to watch' },
    ),
  });

  it('has one row per setting, list items marked file only, pipes escaped', () => {
    expect(cells(describeConfig(schema))).toEqual([
      ['key', 'env', 'flag', 'type', 'default', 'meaning'],
      ['---', '---', '---', '---', '---', '---'],
      [
        '`server.port`',
        '`HEARTBEAT_SERVER_PORT`, `HEARTBEAT_PORT`',
        '`--port`',
        'port',
        '`80`',
        'where \\| to listen',
      ],
      ['`token`', '`HEARTBEAT_TOKEN`', '', 'string', 'none', 'a token'],
      ['`apis`', 'file only', '', 'list', '`[]`', 'APIs to watch'],
      ['`apis[].basepath`', 'file only', '', 'string', 'required', 'the API'],
      ['`apis[].window`', 'file only', '', 'duration', '`5m`', 'status window'],
    ]);
  });

  it('pads every column to one width, as prettier does', () => {
    const lengths = new Set(
      describeHubConfig()
        .split('\n')
        .map((line) => line.length),
    );
    expect(lengths.size).toBe(1);
  });
});

describe('the generated region', () => {
  const doc = `# Title\n\n${GENERATED_START}\n\nold\n\n${GENERATED_END}\n\nAfter.\n`;

  it('is replaced in place, leaving the prose around it', () => {
    const updated = replaceGeneratedTable(doc, '| new |');
    expect(updated).toBe(`# Title\n\n${GENERATED_START}\n\n| new |\n\n${GENERATED_END}\n\nAfter.\n`);
    expect(extractGeneratedTable(updated)).toBe('| new |');
  });

  it('needs its markers', () => {
    expect(() => replaceGeneratedTable('# Title\n', 'x')).toThrow(/needs the markers/);
    expect(extractGeneratedTable('# Title\n')).toBeUndefined();
  });
});
