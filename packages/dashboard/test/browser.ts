import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { requireService } from '../../sdk/src/testing/services.js';

/** Debian's Chromium (`apt-get install chromium`); override with `CHROMIUM_PATH`. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether the browser the end-to-end tests drive is installed: a loud skip on a developer machine
 * without it, a failure under `CI=true`.
 */
export function requireChromium(): Promise<boolean> {
  return requireService(
    `Chromium at ${CHROMIUM_PATH}`,
    () => (existsSync(CHROMIUM_PATH) ? Promise.resolve() : Promise.reject(new Error('not installed'))),
    { hint: 'install it with `apt-get install chromium`, or set CHROMIUM_PATH' },
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
    ],
  });
}
