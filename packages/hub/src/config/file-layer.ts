import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type YAMLMap,
} from 'yaml';
import {
  assemble,
  defaultOf,
  runChecks,
  schemaEntries,
  type AnyLeaf,
  type AnyList,
  type AnyMap,
  type AnyNode,
  type AnySection,
  type AnyValues,
} from './config-schema.js';
import { parseLeaf, parseValue, type ConfigLayer } from './config-layer.js';
import type { ConfigProblem } from './config-problem.js';
import { suggest } from './suggest.js';
import type { RawValue } from './value-types.js';

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
  /** Filled with where every value was written, list items included (`rules[0].notify`), for checks. */
  locations?: Map<string, string>,
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
  if (locations) for (const [path, location] of reader.locations) locations.set(path, location);
  return layer;
}

type Found = (path: string, value: unknown, location: string) => void;

/** Walks a parsed YAML document along the schema, pointing every problem at its line and column. */
class YamlConfigReader {
  /** Every dotted path in the schema, to suggest `server.port` for a `port:` at the top. */
  private readonly allPaths: string[];
  /** Where each value read was written, by dotted path (`apis[0].pulse.timeout`), for checks. */
  readonly locations = new Map<string, string>();
  /** What was read inside list items, by dotted path, valid item or not: for duplicate keys. */
  private readonly values = new Map<string, unknown>();
  /** Every dotted path the file writes a value for, good or bad. */
  private readonly written = new Set<string>();

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
      if (value === null || (isScalar(value) && value.value === null)) {
        // `key:` alone means "default"; a written `null` is a value only where a type takes it.
        if (child.kind === 'leaf' && child.type.acceptsNull && isScalar(value) && value.source !== '') {
          found(childPath, null, this.located(childPath, value));
        }
        continue;
      }
      this.written.add(childPath);
      this.readNode(child, value, childPath, found);
    }
  }

  /** Notes where the value at `path` was written, for checks that point at it later. */
  private located(path: string, node: Node): string {
    const location = this.at(node.range?.[0] ?? 0);
    this.locations.set(path, location);
    return location;
  }

  private readNode(node: AnyNode, value: Node, path: string, found: Found): void {
    switch (node.kind) {
      case 'leaf':
        return this.readLeaf(node, value, path, found);
      case 'section': {
        if (!isMap(value)) {
          const keys = Object.keys(node.fields).join(', ');
          return this.problem(value, path, `expected a mapping with ${keys}, found ${kindOf(value)}`);
        }
        if (!node.optional) return this.readSection(node, value, path, found);
        const built = this.readComposite(node, value, path, 'this section');
        if (built !== undefined) found(path, built, this.located(path, value));
        return;
      }
      case 'list':
        return this.readList(node, value, path, found);
      case 'values':
        return this.readValues(node, value, path, found);
      case 'map':
        return this.readMap(node, value, path, found);
    }
  }

  private readLeaf(leaf: AnyLeaf, value: Node, path: string, found: Found): void {
    const raw = this.scalar(value, path, leaf.type.description);
    if (raw === undefined) return;
    const location = this.located(path, value);
    const parsed = parseLeaf(leaf, raw, path, () => location, this.problems);
    if (parsed) found(path, parsed.value, location);
  }

  /** The raw value of a scalar node, or undefined after reporting what was found instead. */
  private scalar(value: Node | null, path: string, description: string): RawValue | undefined {
    if (!isScalar(value)) {
      this.problem(value, path, `expected a value (${description}), found ${kindOf(value)}`);
      return undefined;
    }
    const raw = value.value;
    if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') return raw;
    this.problem(value, path, `expected a value (${description}), found ${kindOf(value)}`);
    return undefined;
  }

  /**
   * Reads a mapping that is one value of the config (a list item, an optional section): the
   * settings it gives, defaults for the rest, required ones it lacks, then its checks. Returns
   * undefined when any of that found a problem.
   */
  private readComposite(
    section: AnySection,
    map: YAMLMap,
    path: string,
    what: string,
  ): Record<string, unknown> | undefined {
    const before = this.problems.length;
    const location = this.located(path, map);
    const given = new Map<string, unknown>();
    this.readSection(section, map, path, (leafPath, leafValue) => {
      given.set(leafPath, leafValue);
      this.values.set(leafPath, leafValue);
    });
    const built = assemble(section, path, (leafPath, node) => {
      if (given.has(leafPath)) return given.get(leafPath);
      // A required setting written with a bad value has had its problem already.
      if (node.kind === 'leaf' && node.required && !this.written.has(leafPath)) {
        const key = leafPath.slice(path.length + 1);
        this.problem(map, leafPath, `is required; add "${key}:" to ${what}`);
      }
      return defaultOf(node);
    });
    if (this.problems.length > before) return undefined;
    runChecks(section, built, path, (at) => this.locations.get(at), location, this.problems);
    return this.problems.length > before ? undefined : built;
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
      const read = this.readComposite(list.item, item, itemPath, 'this item');
      if (read === undefined) valid = false;
      else items.push(read);
    });
    if (list.unique !== undefined && !this.allUnique(list.unique, path, value.items.length)) valid = false;
    if (valid) found(path, items, this.located(path, value));
  }

  /**
   * Reports each item whose `key` repeats an earlier item's, naming where the first one is.
   * Compares what was read of each item, valid or not, so a duplicate shows with other problems.
   */
  private allUnique(key: string, path: string, count: number): boolean {
    const first = new Map<string, string>();
    let unique = true;
    for (let index = 0; index < count; index++) {
      const keyPath = `${path}[${index}].${key}`;
      if (!this.values.has(keyPath)) continue;
      const identity = JSON.stringify(this.values.get(keyPath));
      const earlier = first.get(identity);
      if (earlier === undefined) {
        first.set(identity, keyPath);
        continue;
      }
      unique = false;
      this.problems.push({
        source: this.locations.get(keyPath) ?? this.fileName,
        path: keyPath,
        message: `${identity} is declared twice, first at ${this.locations.get(earlier) ?? earlier} (${earlier}); declare each ${key} once`,
      });
    }
    return unique;
  }

  /** A list of values, or one value as a list of one: `failOn: [5xx, 429]`, `status: 200`. */
  private readValues(node: AnyValues, value: Node, path: string, found: Found): void {
    const description = node.type.description;
    if (!isSeq(value) && !isScalar(value)) {
      return this.problem(value, path, `expected a list of values (${description}), found ${kindOf(value)}`);
    }
    const items = isSeq(value) ? value.items.map((item) => this.resolve(item) as Node | null) : [value];
    const parsedItems: unknown[] = [];
    let valid = true;
    items.forEach((item, index) => {
      const itemPath = isSeq(value) ? `${path}[${index}]` : path;
      const raw = this.scalar(item, itemPath, description);
      const location = this.at(item?.range?.[0] ?? value.range?.[0] ?? 0);
      const parsed =
        raw === undefined ? undefined : parseValue(node.type, raw, itemPath, () => location, this.problems);
      if (parsed === undefined) valid = false;
      else parsedItems.push(parsed.value);
    });
    if (items.length < node.minItems) {
      valid = false;
      const count = node.minItems === 1 ? 'one value' : `${node.minItems} values`;
      this.problem(value, path, `needs at least ${count} (${description}); leave it out for the default`);
    }
    if (valid) found(path, parsedItems, this.located(path, value));
  }

  /** Free keys to values of one type: `headers: { Accept: application/json }`. */
  private readMap(node: AnyMap, value: Node, path: string, found: Found): void {
    const description = `${node.key.description} to ${node.value.description}`;
    if (!isMap(value)) {
      return this.problem(value, path, `expected a mapping of ${description}, found ${kindOf(value)}`);
    }
    const entries: [string, unknown][] = [];
    let valid = true;
    for (const pair of value.items) {
      const keyNode = this.resolve(pair.key) as Node | null;
      const rawKey = this.scalar(keyNode, path, node.key.description);
      const keyLocation = this.at(keyNode?.range?.[0] ?? 0);
      const key =
        rawKey === undefined
          ? undefined
          : parseValue(node.key, rawKey, `${path}.${String(rawKey)}`, () => keyLocation, this.problems);
      if (key === undefined) {
        valid = false;
        continue;
      }
      const entryPath = `${path}.${String(key.value)}`;
      const entryValue = this.resolve(pair.value) as Node | null;
      if (entryValue === null || (isScalar(entryValue) && entryValue.value === null)) {
        valid = false;
        this.problem(keyNode, entryPath, 'needs a value; write "" for an empty one');
        continue;
      }
      const raw = this.scalar(entryValue, entryPath, node.value.description);
      const location = this.at(entryValue.range?.[0] ?? 0);
      const parsed =
        raw === undefined ? undefined : parseValue(node.value, raw, entryPath, () => location, this.problems);
      if (parsed === undefined) valid = false;
      else entries.push([String(key.value), parsed.value]);
    }
    // fromEntries defines own properties, so a `__proto__:` key stays a key.
    if (valid) found(path, Object.fromEntries(entries), this.located(path, value));
  }

  private unknownKey(section: AnySection, key: string, path: string): string {
    const siblings = Object.keys(section.fields);
    const near = suggest(key, siblings);
    if (near !== undefined) return `unknown key; did you mean "${near}"?`;
    // A key in the wrong section: `port:` at the top means `server.port`.
    const elsewhere = path.includes('[')
      ? []
      : this.allPaths.filter(
          // Settings inside list items are no place to move a top-level key to.
          (candidate) =>
            !candidate.includes('[') && suggest(key, [candidate.split('.').pop() ?? '']) !== undefined,
        );
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
