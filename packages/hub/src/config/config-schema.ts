import { isDeepStrictEqual } from 'node:util';
import type { ConfigProblem } from './config-problem.js';
import type { ValueType } from './value-types.js';

/**
 * A declarative configuration schema: a tree of sections, leaves and lists. One tree drives the
 * YAML file reader, the env and flag readers, the defaults, the cross-field checks and the
 * reference docs, so adding a setting (or a whole section such as `apis:`) is adding entries
 * here, never touching a reader.
 *
 * Node kinds:
 * - `leaf`: one value (`server.port`), from the file, env vars and flags;
 * - `section`: a mapping of named settings (`server:`); an *optional* section (`apis[].pulse`)
 *   is absent unless the file writes it, and then filled from its defaults;
 * - `list`: a list of mappings of one shape (`apis:`);
 * - `values`: a list of values of one type (`failOn: [5xx, 429]`);
 * - `map`: free keys to values of one type (`headers:`, `labels:`).
 * Lists, values, maps, optional sections and everything under them are read from the file only:
 * an env var or a flag is one value.
 */

/** Every env var the hub reads starts with this. */
export const ENV_PREFIX = 'HEARTBEAT_';

/** One setting with a value. */
export interface LeafField<T> {
  readonly kind: 'leaf';
  readonly type: ValueType<NonNullable<T>>;
  /** Absent only for `requiredField`s. */
  readonly default?: T;
  readonly required: boolean;
  /** What the setting does, for the docs: one line, no trailing period. */
  readonly doc: string;
  /** Shown as the default in the docs instead of the formatted value: `<data>/heartbeat.db`. */
  readonly defaultDoc?: string;
  /** Extra env var names besides the generic `HEARTBEAT_<SECTION>_<KEY>`: `HEARTBEAT_PORT`. */
  readonly envAliases: readonly string[];
  /** The key in the CLI's parsed flags (`logLevel` for `--log-level`), when there is a flag. */
  readonly flag?: string;
  /** Hides secrets in error messages: returns the raw text as it may be shown. */
  readonly redact?: (raw: string) => string;
}

/**
 * What a section's `check` gets besides the value: whether a setting was written, and a way to
 * report a problem that points at where it was written. Paths are dotted and relative to the
 * section (`timeout`, `pulse.path`); `''` is the section itself.
 */
export interface CheckContext {
  given(path: string): boolean;
  problem(path: string, message: string): void;
}

/**
 * A rule across the settings of one section (`timeout` below `interval`), run once the section
 * has been read without problems of its own.
 */
export type SectionCheck<T> = (value: T, context: CheckContext) => void;

/** A mapping of named settings: `server:`, `instances:`. */
export interface SectionNode<T> {
  readonly kind: 'section';
  readonly optional: false;
  readonly fields: SchemaOf<T>;
  readonly check?: SectionCheck<T>;
}

/** A section that is absent (`undefined`) unless the file writes it: `apis[].pulse`. File only. */
export interface OptionalSectionNode<T> {
  readonly kind: 'section';
  readonly optional: true;
  readonly fields: SchemaOf<T>;
  readonly check?: SectionCheck<T>;
  readonly doc: string;
}

/** A list of mappings that share one shape, from the YAML file only: `apis: [{ basepath: … }]`. */
export interface ListNode<Item> {
  readonly kind: 'list';
  readonly item: SectionNode<Item>;
  readonly doc: string;
  /** A key whose value must differ between items: `basepath`. */
  readonly unique?: string;
}

/** A list of values of one type, from the YAML file only: `failOn: [5xx, 429, errors]`. */
export interface ValuesNode<Item> {
  readonly kind: 'values';
  readonly type: ValueType<Item>;
  readonly default: readonly Item[];
  /** Refuse a list shorter than this (an empty `expect.status` would accept nothing). */
  readonly minItems: number;
  readonly doc: string;
  /** Shown as the default in the docs instead of the formatted values. */
  readonly defaultDoc?: string;
}

/** Free keys to values of one type, from the YAML file only: `headers: { Accept: … }`. Default `{}`. */
export interface MapNode<Value> {
  readonly kind: 'map';
  readonly key: ValueType<string>;
  readonly value: ValueType<Value>;
  readonly doc: string;
}

/** The schema nodes for each key of `T`, checked against `T` so schema and type cannot drift. */
export type SchemaOf<T> = { readonly [K in keyof T]-?: NodeOf<T[K]> };

/**
 * Arrays become lists (of mappings or of values), string-keyed records maps, objects sections,
 * optional objects optional sections, everything else a leaf.
 */
export type NodeOf<V> = [V] extends [readonly (infer Item)[]]
  ? ListNode<Item> | ValuesNode<Item>
  : [V] extends [object]
    ? string extends keyof V
      ? MapNode<V[string & keyof V]>
      : SectionNode<V>
    : [V] extends [object | undefined]
      ? OptionalSectionNode<NonNullable<V>>
      : LeafField<V>;

export interface FieldOptions {
  doc: string;
  defaultDoc?: string;
  envAliases?: readonly string[];
  flag?: string;
  redact?: (raw: string) => string;
}

/**
 * A setting with a default.
 *
 * @example
 * port: field(types.port(), { default: 8900, doc: 'where the hub listens', flag: 'port' })
 */
export function field<T>(type: ValueType<T>, options: FieldOptions & { default: NoInfer<T> }): LeafField<T> {
  const { default: value, envAliases = [], ...rest } = options;
  return {
    kind: 'leaf',
    type: type as ValueType<NonNullable<T>>,
    default: value,
    required: false,
    envAliases,
    ...rest,
  };
}

/** A setting that may stay unset (`undefined`), such as `store` or `auth.adminKey`. */
export function optionalField<T>(type: ValueType<T>, options: FieldOptions): LeafField<T | undefined> {
  const { envAliases = [], ...rest } = options;
  return { kind: 'leaf', type: type as ValueType<NonNullable<T>>, required: false, envAliases, ...rest };
}

/** A setting that must be given; meant for the items of a `list` (`apis[].basepath`). */
export function requiredField<T>(type: ValueType<T>, options: FieldOptions): LeafField<T> {
  const { envAliases = [], ...rest } = options;
  return { kind: 'leaf', type: type as ValueType<NonNullable<T>>, required: true, envAliases, ...rest };
}

/**
 * A mapping of settings. `T` comes from the declared type of the schema (or is given explicitly),
 * never from the fields, so the fields are checked against the config type rather than define it.
 *
 * @example
 * const schema: SectionNode<HubConfig> = section({ server: section({ port: field(…) }), … });
 */
export function section<T>(
  fields: SchemaOf<NoInfer<T>>,
  options: { check?: SectionCheck<NoInfer<T>> } = {},
): SectionNode<T> {
  return { kind: 'section', optional: false, fields, ...options };
}

/**
 * A mapping that is `undefined` unless the file writes it; written, even as `{}`, it takes its
 * defaults.
 *
 * @example
 * pulse: optionalSection({ enabled: field(types.boolean(), { default: true, doc: '…' }), … }, { doc: 'a probe' })
 */
export function optionalSection<T>(
  fields: SchemaOf<NoInfer<T>>,
  options: { doc: string; check?: SectionCheck<NoInfer<T>> },
): OptionalSectionNode<T> {
  return { kind: 'section', optional: true, fields, ...options };
}

/** A list of mappings, read from the YAML file only (env vars and flags are one value each). */
export function list<Item>(
  item: SectionNode<NoInfer<Item>>,
  options: { doc: string; unique?: keyof NoInfer<Item> & string },
): ListNode<Item> {
  return { kind: 'list', item, ...options };
}

/**
 * A list of values of one type, read from the YAML file only. A single value is a list of one.
 *
 * @example
 * failOn: values(failOnEntry(), { default: [[500, 599], 'errors'], doc: 'outcomes that count as failures' })
 */
export function values<Item>(
  type: ValueType<Item>,
  options: { default: readonly NoInfer<Item>[]; doc: string; minItems?: number; defaultDoc?: string },
): ValuesNode<Item> {
  const { minItems = 0, ...rest } = options;
  return { kind: 'values', type, minItems, ...rest };
}

/**
 * Free keys to values of one type, read from the YAML file only.
 *
 * @example
 * labels: map(types.string(), types.string(), { doc: 'free-form tags' })
 */
export function map<Value>(
  key: ValueType<string>,
  value: ValueType<Value>,
  options: { doc: string },
): MapNode<Value> {
  return { kind: 'map', key, value, doc: options.doc };
}

// --- walking the tree without its static types ---

export type AnyLeaf = LeafField<unknown>;
export interface AnySection {
  readonly kind: 'section';
  readonly optional: boolean;
  readonly fields: Readonly<Record<string, AnyNode>>;
  readonly check?: SectionCheck<never>;
  readonly doc?: string;
}
export interface AnyList {
  readonly kind: 'list';
  readonly item: AnySection;
  readonly doc: string;
  readonly unique?: string;
}
export interface AnyValues {
  readonly kind: 'values';
  readonly type: ValueType<unknown>;
  readonly default: readonly unknown[];
  readonly minItems: number;
  readonly doc: string;
  readonly defaultDoc?: string;
}
export interface AnyMap {
  readonly kind: 'map';
  readonly key: ValueType<string>;
  readonly value: ValueType<unknown>;
  readonly doc: string;
}
export type AnyNode = AnyLeaf | AnySection | AnyList | AnyValues | AnyMap;
/** A node that holds one value of the config as a whole: everything but a required section. */
export type AnyValueNode = AnyLeaf | AnyList | AnyValues | AnyMap | AnySection;

/** The same schema, typed for walking: the static shape has done its work once the schema compiles. */
export function untyped<T>(schema: SectionNode<T>): AnySection {
  return schema;
}

/** Whether a node is read from the YAML file only, with everything under it. */
export function isFileOnly(node: AnyNode): boolean {
  return node.kind === 'list' || node.kind === 'values' || node.kind === 'map' || isOptionalSection(node);
}

export function isOptionalSection(node: AnyNode): node is AnySection {
  return node.kind === 'section' && node.optional;
}

/** `validTime` → `VALID_TIME`. */
export function upperSnake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-.\s]+/g, '_')
    .toUpperCase();
}

/** `logLevel` → `log-level`. */
export function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/**
 * A node the tree reaches, with its dotted path: every leaf, list, values, map and optional
 * section, also those inside lists (as `apis[].pulse.url`).
 */
export interface SchemaEntry {
  path: string;
  segments: readonly string[];
  node: AnyValueNode;
  /** The generic env var name first, then aliases; none for what is read from the file only. */
  envNames: readonly string[];
  /** Read from the YAML file only: a list, values, map or optional section, or inside one. */
  fileOnly: boolean;
}

/**
 * Every leaf and file-only node under `root`, depth first in declaration order, with its dotted
 * path and env var names. Items of lists follow their list, as `apis[].basepath`.
 */
export function schemaEntries(
  root: AnySection,
  prefix: readonly string[] = [],
  fileOnly = false,
): SchemaEntry[] {
  const entries: SchemaEntry[] = [];
  for (const [key, node] of Object.entries(root.fields)) {
    const segments = [...prefix, key];
    const path = segments.join('.');
    const below = fileOnly || isFileOnly(node);
    if (node.kind === 'section') {
      if (node.optional) entries.push({ path, segments, node, envNames: [], fileOnly: true });
      entries.push(...schemaEntries(node, segments, below));
    } else if (node.kind === 'list') {
      entries.push({ path, segments, node, envNames: [], fileOnly: true });
      entries.push(...schemaEntries(node.item, [...prefix, `${key}[]`], true));
    } else if (node.kind === 'leaf' && !below) {
      const generic = ENV_PREFIX + segments.map(upperSnake).join('_');
      const envNames = [...new Set([generic, ...node.envAliases])];
      entries.push({ path, segments, node, envNames, fileOnly: false });
    } else entries.push({ path, segments, node, envNames: [], fileOnly: true });
  }
  return entries;
}

/** The value a node takes when nothing gives it one; lists and maps fresh each time. */
export function defaultOf(node: AnyValueNode): unknown {
  switch (node.kind) {
    case 'leaf':
      return node.default;
    case 'list':
      return [];
    case 'values':
      return [...node.default];
    case 'map':
      return {};
    case 'section':
      return undefined;
  }
}

/**
 * The defaults of a schema as a value of its type.
 *
 * @example
 * const DEFAULT_HUB_CONFIG = defaultsOf(HUB_CONFIG_SCHEMA);
 */
export function defaultsOf<T>(schema: SectionNode<T>): T {
  return assemble(untyped(schema), '', (_path, node) => defaultOf(node)) as T;
}

/**
 * Builds the value of a section from its schema, asking `pick` for each value node by dotted
 * path (`apis[0].window` inside lists, when `path` says so). Required sections are built here;
 * everything else, optional sections included, is `pick`ed whole.
 */
export function assemble(
  node: AnySection,
  path: string,
  pick: (path: string, node: AnyValueNode) => unknown,
): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node.fields)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    value[key] =
      child.kind === 'section' && !child.optional ? assemble(child, childPath, pick) : pick(childPath, child);
  }
  return value;
}

/**
 * Runs the `check` of a section and of the required sections inside it, innermost first.
 * Optional sections and list items are checked where they are read, not here.
 *
 * @param locate where the setting at a full dotted path was given, or undefined when it was not
 * @param fallback where to point a problem about a setting that was not given
 */
export function runChecks(
  node: AnySection,
  value: Record<string, unknown>,
  path: string,
  locate: (path: string) => string | undefined,
  fallback: string,
  problems: ConfigProblem[],
): void {
  for (const [key, child] of Object.entries(node.fields)) {
    if (child.kind !== 'section' || child.optional) continue;
    const childPath = path === '' ? key : `${path}.${key}`;
    runChecks(child, value[key] as Record<string, unknown>, childPath, locate, fallback, problems);
  }
  if (node.check === undefined) return;
  const full = (relative: string) => [path, relative].filter((part) => part !== '').join('.');
  const context: CheckContext = {
    given: (relative) => locate(full(relative)) !== undefined,
    problem: (relative, message) =>
      problems.push({
        source: locate(full(relative)) ?? locate(path) ?? fallback,
        path: full(relative),
        message,
      }),
  };
  (node.check as SectionCheck<Record<string, unknown>>)(value, context);
}

/**
 * The dotted paths whose values differ between two configurations of one schema: leaves one by
 * one, lists, values, maps and optional sections as a whole (`apis`, `auth.publicRead`).
 *
 * @example
 * changedPaths(HUB_CONFIG_SCHEMA, running, next) // ['apis', 'log.level']
 */
export function changedPaths<T>(schema: SectionNode<T>, before: T, after: T): string[] {
  const changed: string[] = [];
  const walk = (node: AnySection, a: unknown, b: unknown, prefix: string) => {
    for (const [key, child] of Object.entries(node.fields)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      const left = (a as Record<string, unknown> | undefined)?.[key];
      const right = (b as Record<string, unknown> | undefined)?.[key];
      if (child.kind === 'section' && !child.optional) walk(child, left, right, path);
      else if (!isDeepStrictEqual(left, right)) changed.push(path);
    }
  };
  walk(untyped(schema), before, after, '');
  return changed;
}
