/**
 * The package's own version, read from its `package.json`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/** The `version` of this package's `package.json` (`unknown` if it cannot be read). */
export function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
