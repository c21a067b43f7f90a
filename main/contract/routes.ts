// Derives HTTP routing from the contract: path templates to matchers, and where each input field
// travels (path, query or JSON body).
import { contract, type Operation } from './contract.js';
import { sendsBody } from './wire.js';

export interface Route {
  name: string;
  method: string;
  pattern: RegExp;
  params: string[];
  bodyAllowed: boolean;
}

export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1] as string);
}

export function compileRoutes(c: Record<string, Operation> = contract): Route[] {
  return Object.keys(c).map((name) => {
    const op = c[name] as Operation;
    const pattern = new RegExp(`^${op.path.replace(/:([A-Za-z]+)/g, '([^/]+)')}$`);
    return {
      name,
      method: op.method,
      pattern,
      params: pathParams(op.path),
      bodyAllowed: sendsBody(op.method),
    };
  });
}

/** Fills a path template with values; used by HTTP clients. */
export function fillPath(path: string, input: Record<string, unknown>): string {
  return path.replace(/:([A-Za-z]+)/g, (_m, key: string) => encodeURIComponent(String(input[key])));
}
