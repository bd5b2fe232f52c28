import type { Route } from '../http/router.js';
import { ERROR_RESPONSE } from '../http/schema/common-schemas.js';
import { createSchemaValidator } from './schema-validator.js';

const compile = createSchemaValidator();

/**
 * Checks a JSON answer of the API against what its route documents (the schema the OpenAPI
 * document publishes): the status must be documented (errors always are), and the body must
 * match; and a request body the hub accepted must match the route's documented body schema.
 * Returns what is wrong, or undefined. `startTestHub` runs it on every answer of every test
 * hub, so the whole test suite exercises the document.
 */
export function checkResponse(
  route: Route | undefined,
  status: number,
  body: unknown,
  received?: unknown,
): string | undefined {
  const where = route ? `${route.method} ${route.path}` : '(no route)';
  const documented = route?.doc?.responses[status];
  if (status >= 400 && (!documented || !documented.schema || documented.schema === ERROR_RESPONSE)) {
    const validate = compile(ERROR_RESPONSE);
    return validate(body)
      ? undefined
      : `${where} ${status}: not the error shape: ${describe(validate.errors)}`;
  }
  if (!route) return `${where} answered ${status}`;
  if (!route.doc) return `${where} has no doc`;
  if (!documented) return `${where} answered ${status}, which it does not document`;
  if (documented.schema) {
    const validate = compile(documented.schema);
    if (!validate(body))
      return `${where} ${status}: the body does not match its documented schema: ${describe(validate.errors)}`;
  } else if (body !== undefined) {
    return `${where} answered ${status} with a body it does not document`;
  }
  // The other way round: what the hub accepted, its document must allow. A batch judged item by
  // item (observations) may be accepted in part: only a wholly accepted one is held to the schema.
  const partly =
    typeof (body as { rejected?: unknown } | undefined)?.rejected === 'number' &&
    (body as { rejected: number }).rejected > 0;
  if (received !== undefined && route.doc.body && status < 300 && !partly) {
    const validate = compile(route.doc.body.schema);
    if (!validate(received))
      return `${where} accepted (${status}) a body its documented schema refuses: ${describe(validate.errors)}`;
  }
  return undefined;
}

function describe(errors: ReturnType<typeof compile>['errors']): string {
  return (errors ?? [])
    .slice(0, 5)
    .map(
      (error) => `${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
    )
    .join('; ');
}
