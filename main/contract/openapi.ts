// The OpenAPI document, generated from the contract (never written by hand).
import { z } from 'zod';
import { VERSION } from '../../agent/version.js';
import { contract, type Operation, streams } from './contract.js';
import { errorStatus } from './errors.js';
import { pathParams } from './routes.js';

type JsonSchema = Record<string, unknown>;

function objectProperties(schema: JsonSchema): Record<string, JsonSchema> {
  return (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
}

export function openApiDocument(c: Record<string, Operation> = { ...contract, ...streams }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(c)) {
    const op = c[name] as Operation;
    const isStream = Object.hasOwn(streams, name);
    const input = z.toJSONSchema(op.input, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const output = z.toJSONSchema(op.output, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
    const params = pathParams(op.path);
    const required = new Set((input.required as string[] | undefined) ?? []);
    const fields = objectProperties(input);
    const inBody = !isStream && (op.method === 'POST' || op.method === 'PATCH');
    const parameters = Object.entries(fields)
      .filter(([key]) => params.includes(key) || !inBody)
      .map(([key, schema]) => ({
        name: key,
        in: params.includes(key) ? 'path' : 'query',
        required: params.includes(key) || required.has(key),
        schema,
      }));
    if (op.idempotencyKey && fields.idempotencyKey) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: fields.idempotencyKey,
        description:
          'Same as the body field idempotencyKey: a retry with the same key within 24 h answers with the same ' +
          'commands (or run) and enqueues nothing; the same key with a different request is refused (422).',
      } as (typeof parameters)[number]);
    }
    const bodyFields = Object.fromEntries(Object.entries(fields).filter(([key]) => !params.includes(key)));
    const openApiPath = op.path.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[openApiPath] ??= {};
    (paths[openApiPath] as Record<string, unknown>)[op.method.toLowerCase()] = {
      operationId: name,
      summary: op.summary,
      security: op.public ? [] : [{ bearer: [] }],
      parameters,
      ...(isStream && op.method === 'PUT'
        ? {
            requestBody: {
              required: true,
              content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
            },
          }
        : {}),
      ...(inBody
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: bodyFields,
                    required: [...required].filter((k) => !params.includes(k)),
                  },
                },
              },
            },
          }
        : {}),
      responses: {
        [String(op.status ?? 200)]:
          isStream && op.method === 'GET'
            ? {
                description: 'The file (206 with Content-Range for a Range request)',
                content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
              }
            : { description: 'OK', content: { 'application/json': { schema: output } } },
        default: {
          description: 'Error',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'FleetDeck admin API', version: VERSION },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The admin token' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string', enum: Object.keys(errorStatus) }, message: { type: 'string' } },
            },
          },
        },
      },
    },
  };
}
