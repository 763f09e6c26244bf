// JSON request bodies: which content types count as JSON, and the 400 problem for a body that is not JSON.
import { parseJsonInput } from '../../schemas/json-input.js';
import { problem, type Problem } from './problem.js';

export const isJsonContentType = (header: string | undefined): boolean => /^application\/(.+\+)?json\b/i.test(header ?? '');

/** The parsed body, or the problem saying why it is not JSON. */
export function parseJsonText(text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: Problem } {
  const parsed = parseJsonInput(text);
  if (parsed.ok) return parsed;
  return { ok: false, problem: problem(INPUT_PROBLEMS[parsed.reason], parsed.detail) };
}

/** The problem code of each way JSON input is refused (schemas/json-input.ts). */
const INPUT_PROBLEMS = {
  malformed: 'malformed-json',
  'too-deep': 'json-too-deep',
  unstorable: 'unstorable-value',
} as const;
