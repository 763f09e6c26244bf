// POST /v1/ledger/checkpoints/cosignatures: a witness hands back a checkpoint note it cosigned (the log's
// note with its c2sp.org/tlog-cosignature line added), and COMPANYOS_WITNESSES, the verifier keys of the
// witnesses an operator accepts cosignatures from (a tenant cannot add one).
import * as t from 'io-ts';
import { COSIGNATURE_V1 } from '../ledger/cosignature.js';
import { parseVerifierString } from '../ledger/signed-note.js';
import { describedAs } from './json-schema.js';
import { closedObject } from './validation.js';

/** At most this many witnesses: their lines and the log's must fit a note's 100 signatures. */
export const MAX_WITNESSES = 50;

export const CosignatureBody = closedObject('CosignatureBody', {
  checkpoint: describedAs(
    new t.Type<string, string, unknown>(
      'checkpoint (the checkpoint note with the witness cosignature line, at most 16 KiB)',
      (u): u is string => typeof u === 'string' && u.length > 0 && u.length <= 16384,
      (u, c) => (typeof u === 'string' && u.length > 0 && u.length <= 16384 ? t.success(u) : t.failure(u, c)),
      t.identity,
    ),
    { type: 'string', minLength: 1, maxLength: 16384 },
  ),
});
export type CosignatureBody = t.TypeOf<typeof CosignatureBody>;

const isWitnessKey = (k: string): boolean => {
  const parsed = parseVerifierString(k);
  return parsed.ok && parsed.value.type === COSIGNATURE_V1 && parsed.value.publicKey.length === 32;
};

/** COMPANYOS_WITNESSES: comma-separated cosignature/v1 verifier keys (`<name>+<hex id>+<base64 0x04 ‖ key>`). */
export const WitnessKeys = new t.Type<readonly string[], string, unknown>(
  `COMPANYOS_WITNESSES (comma-separated witness verifier keys <name>+<hex id>+<base64 key>, cosignature/v1, at most ${MAX_WITNESSES})`,
  (u): u is readonly string[] => Array.isArray(u),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c);
    const keys = u.split(',').map((k) => k.trim()).filter((k) => k !== '');
    const bad = keys.findIndex((k) => !isWitnessKey(k));
    if (bad >= 0) return t.failure(u, c, `COMPANYOS_WITNESSES: entry ${bad + 1} is not a cosignature/v1 verifier key (<name>+<hex id>+<base64 of 0x04 and a 32-byte key>)`);
    return keys.length <= MAX_WITNESSES ? t.success(keys) : t.failure(u, c, `COMPANYOS_WITNESSES: at most ${MAX_WITNESSES} witnesses`);
  },
  (keys) => keys.join(','),
);
