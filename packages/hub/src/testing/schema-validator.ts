import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { collectComponents, namedTarget, type JsonSchema } from '../http/schema/schema.js';

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/**
 * Compiles the hub's schemas (`http/schema/`) with a real JSON Schema 2020-12 validator, the
 * named parts registered under the `$ref`s the OpenAPI document gives them. Strict, so a schema
 * with a misspelt keyword fails to compile rather than validating nothing.
 */
export function createSchemaValidator(options: { formats?: boolean } = {}) {
  const ajv = new Ajv2020({
    strict: true,
    allowUnionTypes: true,
    allErrors: true,
    validateFormats: options.formats ?? true,
  });
  ajv.addKeyword('example');
  if (options.formats ?? true) addFormats(ajv);
  const registered = new Set<string>();
  const cache = new Map<JsonSchema, ValidateFunction>();
  return function compile(schema: JsonSchema): ValidateFunction {
    let validate = cache.get(schema);
    if (validate) return validate;
    const components = new Map<string, JsonSchema>();
    collectComponents(schema, components);
    for (const [name, part] of components) {
      if (registered.has(name)) continue;
      registered.add(name);
      ajv.addSchema(part, `#/components/schemas/${name}`);
    }
    validate = ajv.compile(namedTarget(schema)?.schema ?? schema);
    cache.set(schema, validate);
    return validate;
  };
}
