// PostgreSQL's COPY text format for a read model's bulk writes (SqlSession.copyFrom): tab-separated
// fields, one line per row, `\N` for null, and backslash, tab, newline and carriage return escaped.

/** A field's value: text as PostgreSQL reads it for the column's type; null is SQL NULL. */
export type CopyField = string | null;

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One field as COPY text. */
export function copyField(value: CopyField): string {
  if (value === null) return '\\N';
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}

/** A JSON value as a json(b) field; undefined and null are SQL NULL. */
export const copyJson = (value: unknown): string => (value === undefined || value === null ? '\\N' : copyField(JSON.stringify(value)));
