// Debian's Chromium for browser tests (apt-get install chromium; .ci/run installs it): where it is, if
// anywhere, and how it is started: headless, no sandbox (root in CI), no GPU, and none of Chromium's own
// traffic (updates, sync, field trials).
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH: string | undefined = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-default-apps', '--disable-sync', '--no-first-run', '--disable-breakpad', '--disable-domain-reliability',
  '--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions', '--metrics-recording-only',
];
