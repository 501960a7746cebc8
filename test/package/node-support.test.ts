/**
 * Node 20 and the AWS SDK: the SDK ranges stop at releases that still
 * support Node 20 (which `engines` promises), and the README's way to
 * silence the SDK's Node-version warning is the one the SDK reads.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');

/** Compares two x.y.z versions. */
function compare(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return x![i]! - y![i]!;
  return 0;
}

describe('Node 20 and the AWS SDK', () => {
  it('engines says Node 20.19, and every @aws-sdk range has an upper bound that the locked version is under', async () => {
    const pkg = JSON.parse(await read('package.json')) as { engines: { node: string }; dependencies: Record<string, string> };
    const lock = JSON.parse(await read('package-lock.json')) as { packages: Record<string, { version: string }> };
    expect(pkg.engines.node).toBe('>=20.19');
    const sdk = Object.entries(pkg.dependencies).filter(([name]) => name.startsWith('@aws-sdk/'));
    expect(sdk.length).toBeGreaterThan(0);
    for (const [name, range] of sdk) {
      const bounds = /^>=(\d+\.\d+\.\d+) <(\d+\.\d+\.\d+)$/.exec(range);
      expect(bounds, `${name}: ${range}`).not.toBeNull();
      const locked = lock.packages[`node_modules/${name}`]!.version;
      expect(compare(locked, bounds![1]!), name).toBeGreaterThanOrEqual(0);
      expect(compare(locked, bounds![2]!), name).toBeLessThan(0);
    }
  });

  it('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true silences the SDK warning, as the README says', async () => {
    const readme = await read('README.md');
    expect(readme).toContain('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true');
    expect(readme).toMatch(/Node\.js 20\.19 or newer/);
    const script = "import { GlacierClient } from '@aws-sdk/client-glacier'; new GlacierClient({ region: 'us-east-1' });";
    const stderr = async (env: NodeJS.ProcessEnv) =>
      (await run(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), env: { PATH: process.env.PATH, ...env } })).stderr;
    expect(await stderr({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' })).not.toContain('NodeVersionSupportWarning');
    // Only Node before 22 gets the warning at all.
    if (Number(process.versions.node.split('.')[0]) < 22) expect(await stderr({})).toContain('NodeVersionSupportWarning');
  });
});
