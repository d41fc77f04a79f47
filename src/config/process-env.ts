import type { RawEnv } from './env.parser.js';

/** The one place that reads the process environment; everything else gets a parsed config. */
export function readProcessEnv(): RawEnv {
  return { ...process.env };
}
