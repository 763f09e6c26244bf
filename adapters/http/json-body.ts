// JSON request bodies: which content types count as JSON, and the 400 problem for a body that is not JSON.
import { problem, type Problem } from './problem.js';

export const isJsonContentType = (header: string | undefined): boolean => /^application\/(.+\+)?json\b/i.test(header ?? '');

/** The parsed body, or the problem saying why it is not JSON. */
export function parseJsonText(text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: Problem } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: problem(400, 'malformed-json', 'Malformed JSON', `the body is not valid JSON: ${(error as Error).message}`) };
  }
}
