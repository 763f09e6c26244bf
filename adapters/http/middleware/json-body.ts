// A JSON request body as middleware: the media type is JSON (or a form carrying the JSON in one field, as
// GitHub sends it) and the text parses (schemas/json-input.ts rules), or the request ends with the 415/400
// problem. The parsed value is handed on as the `json`
// target for validate('json', codec). The size limit is the route's limitBody (body-limit.ts), which
// comes first and counts the body while it streams.
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import { isJsonContentType, parseJsonText } from '../json-body.js';
import { problem, sendProblem, type Problem } from '../problem.js';

export interface JsonBodyOptions {
  /** An empty (or blank) body reads as this value, whatever its media type (approvals, cancellations). */
  readonly emptyAs?: unknown;
  /** Names the body in the 415 problem: "send the command as application/json". */
  readonly what?: string;
  /** Also take `application/x-www-form-urlencoded` whose field of this name holds the JSON (GitHub's `payload`). */
  readonly formField?: string;
}

const isFormContentType = (type: string | undefined): boolean => /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type ?? '');

/** The parsed body, or the problem to answer with. */
export async function readJsonBody(c: Context<AppEnv>, options: JsonBodyOptions = {}): Promise<{ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: Problem }> {
  const raw = await c.req.text();
  if (options.emptyAs !== undefined && raw.trim() === '') return { ok: true, value: options.emptyAs };
  const type = c.req.header('content-type');
  const { formField } = options;
  if (formField !== undefined && isFormContentType(type)) {
    const json = new URLSearchParams(raw).get(formField);
    if (json === null) return { ok: false, problem: problem('validation', `a form-encoded body carries its JSON in the ${formField} field`) };
    return parseJsonText(json);
  }
  if (!isJsonContentType(type)) {
    const form = formField === undefined ? '' : ` or application/x-www-form-urlencoded (${formField}=<JSON>)`;
    return { ok: false, problem: problem('unsupported-media-type', `send ${options.what ?? 'the body'} as application/json${form}`) };
  }
  return parseJsonText(raw);
}

export const jsonBody = (options: JsonBodyOptions = {}): MiddlewareHandler<AppEnv, string, { out: { json: unknown } }> => async (c, next) => {
  const body = await readJsonBody(c, options);
  if (!body.ok) return sendProblem(c, body.problem);
  c.req.addValidatedData('json', body.value as {});
  await next();
};
