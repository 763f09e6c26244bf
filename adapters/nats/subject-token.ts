// NATS subject tokens from arbitrary strings. A token cannot contain '.', ' ', '*' or '>' (and should be
// plain ASCII), so: '.' → '_' (readable: graph.node → graph_node), every byte outside [A-Za-z0-9-] → %XX
// of its UTF-8 (so '_' → %5F keeps decoding unambiguous), and the empty string → '%'.
const SAFE = /^[A-Za-z0-9-]$/;

export function encodeToken(value: string): string {
  if (value.length === 0) return '%';
  let out = '';
  for (const ch of value) {
    if (ch === '.') out += '_';
    else if (SAFE.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The string `encodeToken` made `token` from; undefined when `token` is not such an encoding. */
export function decodeToken(token: string): string | undefined {
  if (token === '%') return '';
  if (token.length === 0) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    const ch = token[i]!;
    if (ch === '_') bytes.push(0x2e);
    else if (ch === '%') {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (SAFE.test(ch)) bytes.push(ch.charCodeAt(0));
    else return undefined;
  }
  const text = new TextDecoder('utf-8', { fatal: true });
  try {
    return text.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}
