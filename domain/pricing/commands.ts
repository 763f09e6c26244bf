// The pricing catalog's three commands as the pipeline sees them: all write the tenant's one catalog
// stream (configuration changes are rare, so one stream keeps versions totally ordered).
import { PriceSet, PricingEvent, SharedCostSet, TagRuleSet } from '../../schemas/pricing.js';
import { streamName } from '../../schemas/streams.js';
import { foldWith, type CommandHandler } from '../command-handler.js';
import { evolveCatalog, initialCatalogState, setPrice, setSharedCost, setTagRules, type CatalogState } from './catalog.js';

const foldCatalog = foldWith(PricingEvent, evolveCatalog, initialCatalogState);

const base = {
  resourceType: 'PricingCatalog',
  resourceId: () => 'catalog',
  resourceAttributes: (cmd: { readonly region: string }) => ({ region: cmd.region }),
  region: (cmd: { readonly region: string }) => cmd.region,
  streamOf: (tenant: string) => streamName(tenant, 'pricing'),
  provenance: () => undefined,
  naturalKey: () => undefined,
  relatedStreams: () => ({}),
  initialState: initialCatalogState,
  evolve: evolveCatalog,
  fold: foldCatalog,
  encodeEvent: (e: PricingEvent) => PricingEvent.encode(e),
} as const;

export const pricingPriceSet: CommandHandler<PriceSet, CatalogState, PricingEvent> = {
  ...base,
  codec: PriceSet,
  action: 'set-price',
  decide: (cmd, state) => setPrice(cmd, state),
};

export const pricingTagRuleSet: CommandHandler<TagRuleSet, CatalogState, PricingEvent> = {
  ...base,
  codec: TagRuleSet,
  action: 'set-tag-rules',
  decide: (cmd, state) => setTagRules(cmd, state),
};

export const pricingSharedCostSet: CommandHandler<SharedCostSet, CatalogState, PricingEvent> = {
  ...base,
  codec: SharedCostSet,
  action: 'set-shared-cost',
  decide: (cmd, state) => setSharedCost(cmd, state),
};

export const pricingCommands = Object.freeze({
  'pricing.price.set': pricingPriceSet,
  'pricing.tag-rule.set': pricingTagRuleSet,
  'pricing.shared-cost.set': pricingSharedCostSet,
});
