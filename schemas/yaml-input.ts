// YAML 1.2 at the door (plans, the operator's actions file): one parse with duplicate keys refused and alias
// expansion bounded (a billion-laughs document is an error, not an out-of-memory), each problem one line.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { parseDocument } from 'yaml';

/** The document's plain value, or one `yaml: …` line per problem. JSON is YAML 1.2 too. */
export function parseYamlInput(source: string): Either<readonly string[], unknown> {
  const doc = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return left(doc.errors.map((e) => `yaml: ${e.message.split('\n')[0]!.replace(/:$/, '')}`));
  try {
    return right(doc.toJS({ maxAliasCount: 100 }));
  } catch (error) {
    return left([`yaml: ${error instanceof Error ? error.message : String(error)}`]);
  }
}
