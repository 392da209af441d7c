/**
 * How the browser tests start Debian's Chromium (installed by .ci/run): headless, without the
 * background services that try to reach the network, which this machine's closed network refuses.
 */
export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
