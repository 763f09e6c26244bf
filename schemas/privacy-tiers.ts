// The privacy tiers of sealed meta in order, least to most sensitive: a read of several events is as
// sensitive as its most sensitive one. `confidential` and `restricted` hold personal data: reading them
// needs a declared purpose (policy personal-data-purpose in commands/policies/default.cedar).
import type { PrivacyTier } from './sealed-event.js';

export const PRIVACY_TIERS: readonly PrivacyTier[] = ['public', 'internal', 'confidential', 'restricted'];

/** The most sensitive tier among `tiers`; undefined for none. */
export function highestTier(tiers: readonly PrivacyTier[]): PrivacyTier | undefined {
  let highest = -1;
  for (const tier of tiers) highest = Math.max(highest, PRIVACY_TIERS.indexOf(tier));
  return highest < 0 ? undefined : PRIVACY_TIERS[highest];
}
