import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { seedOpsHeartbeatOpenApi } from './seeds.js';

// ajv-formats is CommonJS: its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

let validator: ValidateFunction | undefined;

/** A validator for seed 004's `HealthResponse` schema, loaded from the seed file itself. */
export function opsHeartbeatValidator(): ValidateFunction {
  if (validator) return validator;
  const { components } = seedOpsHeartbeatOpenApi();
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  validator = ajv.compile({ ...components.schemas.HealthResponse, components });
  return validator;
}
