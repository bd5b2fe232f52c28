import type { ValueType } from './value-types.js';

/**
 * A declarative configuration schema: a tree of sections, leaves and lists. One tree drives the
 * YAML file reader, the env and flag readers, the defaults and the reference docs, so adding a
 * setting (or a whole section such as `apis:`) is adding entries here, never touching a reader.
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

/** A mapping of named settings: `server:`, `instances:`. */
export interface SectionNode<T> {
  readonly kind: 'section';
  readonly fields: SchemaOf<T>;
}

/** A list of mappings that share one shape, from the YAML file only: `apis: [{ basepath: … }]`. */
export interface ListNode<Item> {
  readonly kind: 'list';
  readonly item: SectionNode<Item>;
  readonly doc: string;
}

/** The schema nodes for each key of `T`, checked against `T` so schema and type cannot drift. */
export type SchemaOf<T> = { readonly [K in keyof T]-?: NodeOf<T[K]> };

/** Arrays become lists, objects sections, everything else a leaf. */
export type NodeOf<V> = [V] extends [readonly (infer Item)[]]
  ? ListNode<Item>
  : [V] extends [object]
    ? SectionNode<V>
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
export function section<T>(fields: SchemaOf<NoInfer<T>>): SectionNode<T> {
  return { kind: 'section', fields };
}

/** A list of mappings, read from the YAML file only (env vars and flags are one value each). */
export function list<Item>(item: SectionNode<NoInfer<Item>>, options: { doc: string }): ListNode<Item> {
  return { kind: 'list', item, doc: options.doc };
}

// --- walking the tree without its static types ---

export type AnyLeaf = LeafField<unknown>;
export type AnyNode = AnyLeaf | AnySection | AnyList;
export interface AnySection {
  readonly kind: 'section';
  readonly fields: Readonly<Record<string, AnyNode>>;
}
export interface AnyList {
  readonly kind: 'list';
  readonly item: AnySection;
  readonly doc: string;
}

/** The same schema, typed for walking: the static shape has done its work once the schema compiles. */
export function untyped<T>(schema: SectionNode<T>): AnySection {
  return schema;
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

/** A value the tree reaches by env var or flag: every leaf outside lists, and every list. */
export type SchemaEntry =
  | { path: string; segments: readonly string[]; node: AnyLeaf; envNames: readonly string[] }
  | { path: string; segments: readonly string[]; node: AnyList; envNames: readonly string[] };

/**
 * Every leaf and list under `root`, depth first in declaration order, with its dotted path and
 * env var names (the generic name first, then aliases; none for lists).
 */
export function schemaEntries(root: AnySection, prefix: readonly string[] = []): SchemaEntry[] {
  const entries: SchemaEntry[] = [];
  for (const [key, node] of Object.entries(root.fields)) {
    const segments = [...prefix, key];
    const path = segments.join('.');
    if (node.kind === 'section') entries.push(...schemaEntries(node, segments));
    else if (node.kind === 'list') entries.push({ path, segments, node, envNames: [] });
    else {
      const generic = ENV_PREFIX + segments.map(upperSnake).join('_');
      const envNames = [...new Set([generic, ...node.envAliases])];
      entries.push({ path, segments, node, envNames });
    }
  }
  return entries;
}

/**
 * The defaults of a schema as a value of its type.
 *
 * @example
 * const DEFAULT_HUB_CONFIG = defaultsOf(HUB_CONFIG_SCHEMA);
 */
export function defaultsOf<T>(schema: SectionNode<T>): T {
  return assemble(untyped(schema), '', (_path, node) => (node.kind === 'list' ? [] : node.default)) as T;
}

/**
 * Builds the value of a section from its schema, asking `pick` for each leaf and list by dotted
 * path (`apis[0].window` inside lists, when `path` says so).
 */
export function assemble(
  node: AnySection,
  path: string,
  pick: (path: string, node: AnyLeaf | AnyList) => unknown,
): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(node.fields)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    value[key] = child.kind === 'section' ? assemble(child, childPath, pick) : pick(childPath, child);
  }
  return value;
}
