import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import {
  assemble,
  schemaEntries,
  type AnyLeaf,
  type AnyList,
  type AnyNode,
  type AnySection,
} from './config-schema.js';
import { parseLeaf, type ConfigLayer } from './config-layer.js';
import type { ConfigProblem } from './config-problem.js';
import { suggest } from './suggest.js';

/**
 * Reads a YAML configuration file against the schema. Every problem points at its line and
 * column: syntax errors, unknown keys (with a suggestion), wrong shapes and bad values. The
 * returned layer holds only what the file sets; an empty file sets nothing.
 *
 * @example
 * const layer = readFileLayer(untyped(HUB_CONFIG_SCHEMA), 'server:\n  port: 80\n', 'hub.yaml', problems);
 */
export function readFileLayer(
  schema: AnySection,
  text: string,
  fileName: string,
  problems: ConfigProblem[],
): ConfigLayer {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const reader = new YamlConfigReader(schema, doc, fileName, lineCounter, problems);
  const layer: ConfigLayer = new Map();
  if (doc.errors.length > 0) {
    // A document with syntax errors is only half understood; checking it against the schema
    // would add guesses to the real errors, so those come first and alone.
    for (const error of [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0])) {
      problems.push({
        source: reader.at(error.pos[0]),
        path: '',
        message: `YAML syntax: ${error.message.split('\n')[0] ?? error.code}`,
      });
    }
    return layer;
  }
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return layer;
  if (!isMap(contents)) {
    problems.push({
      source: reader.at(contents.range?.[0] ?? 0),
      path: '',
      message: `the file must be a mapping of settings (like "server:" with "port: 8900" under it), not ${kindOf(contents)}`,
    });
    return layer;
  }
  reader.readSection(schema, contents, '', (path, value, location) => layer.set(path, { value, location }));
  return layer;
}

type Found = (path: string, value: unknown, location: string) => void;

/** Walks a parsed YAML document along the schema, pointing every problem at its line and column. */
class YamlConfigReader {
  /** Every dotted path in the schema, to suggest `server.port` for a `port:` at the top. */
  private readonly allPaths: string[];

  constructor(
    schema: AnySection,
    private readonly doc: Document,
    private readonly fileName: string,
    private readonly lineCounter: LineCounter,
    private readonly problems: ConfigProblem[],
  ) {
    this.allPaths = schemaEntries(schema).map((entry) => entry.path);
  }

  at(offset: number): string {
    const { line, col } = this.lineCounter.linePos(offset);
    return `${this.fileName}:${line}:${col}`;
  }

  private problem(node: Node | null | undefined, path: string, message: string): void {
    this.problems.push({ source: this.at(node?.range?.[0] ?? 0), path, message });
  }

  private resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  readSection(section: AnySection, map: unknown, path: string, found: Found): void {
    if (!isMap(map)) return;
    for (const pair of map.items) {
      const keyNode = isScalar(pair.key) ? pair.key : null;
      const key = keyNode ? String(keyNode.value) : String(pair.key);
      const childPath = path === '' ? key : `${path}.${key}`;
      const child = Object.hasOwn(section.fields, key) ? section.fields[key] : undefined;
      if (child === undefined) {
        this.problem(keyNode, childPath, this.unknownKey(section, key, path));
        continue;
      }
      const value = this.resolve(pair.value) as Node | null;
      if (value === null || (isScalar(value) && value.value === null)) continue; // `key:` alone means "default"
      this.readNode(child, value, childPath, found);
    }
  }

  private readNode(node: AnyNode, value: Node, path: string, found: Found): void {
    if (node.kind === 'leaf') return this.readLeaf(node, value, path, found);
    if (node.kind === 'section') {
      if (isMap(value)) return this.readSection(node, value, path, found);
      const keys = Object.keys(node.fields).join(', ');
      return this.problem(value, path, `expected a mapping with ${keys}, found ${kindOf(value)}`);
    }
    this.readList(node, value, path, found);
  }

  private readLeaf(leaf: AnyLeaf, value: Node, path: string, found: Found): void {
    if (!isScalar(value)) {
      return this.problem(value, path, `expected a value (${leaf.type.description}), found ${kindOf(value)}`);
    }
    const raw = value.value;
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      return this.problem(value, path, `expected a value (${leaf.type.description}), found ${String(raw)}`);
    }
    const location = this.at(value.range?.[0] ?? 0);
    const parsed = parseLeaf(leaf, raw, path, () => location, this.problems);
    if (parsed) found(path, parsed.value, location);
  }

  private readList(list: AnyList, value: Node, path: string, found: Found): void {
    if (!isSeq(value)) {
      return this.problem(value, path, `expected a list (items starting with "- "), found ${kindOf(value)}`);
    }
    const items: Record<string, unknown>[] = [];
    let valid = true;
    value.items.forEach((rawItem, index) => {
      const item = this.resolve(rawItem) as Node | null;
      const itemPath = `${path}[${index}]`;
      if (!isMap(item)) {
        valid = false;
        return this.problem(item, itemPath, `expected a mapping, found ${kindOf(item)}`);
      }
      const before = this.problems.length;
      const given = new Map<string, unknown>();
      this.readSection(list.item, item, itemPath, (leafPath, leafValue) => given.set(leafPath, leafValue));
      const built = assemble(list.item, itemPath, (leafPath, node) => {
        if (given.has(leafPath)) return given.get(leafPath);
        if (node.kind === 'list') return [];
        if (node.required) {
          const key = leafPath.slice(itemPath.length + 1);
          this.problem(item, leafPath, `is required; add "${key}:" to this item`);
        }
        return node.default;
      });
      if (this.problems.length > before) valid = false;
      items.push(built);
    });
    if (valid) found(path, items, this.at(value.range?.[0] ?? 0));
  }

  private unknownKey(section: AnySection, key: string, path: string): string {
    const siblings = Object.keys(section.fields);
    const near = suggest(key, siblings);
    if (near !== undefined) return `unknown key; did you mean "${near}"?`;
    // A key in the wrong section: `port:` at the top means `server.port`.
    const elsewhere = path.includes('[')
      ? []
      : this.allPaths.filter((candidate) => suggest(key, [candidate.split('.').pop() ?? '']) !== undefined);
    if (elsewhere.length > 0) {
      return `unknown key; did you mean ${elsewhere.map((candidate) => `"${candidate}"`).join(' or ')}?`;
    }
    const where = path === '' ? 'at the top level' : `under ${path}`;
    return `unknown key; ${where} the keys are ${siblings.join(', ')}`;
  }
}

function kindOf(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value: unknown = node.value;
    if (value === null || value === undefined) return 'nothing';
    if (typeof value === 'string') return JSON.stringify(value);
    return typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'a value';
  }
  return 'nothing';
}
