/**
 * The API reference (typedoc, with the project's settings, into a scratch
 * directory): its modules are titled as they are imported, and the SDK
 * exceptions the README says to catch, re-exported here, have pages of
 * their own.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Reflection {
  name: string;
  kind: number;
  comment?: { summary: Array<{ text: string }> };
  children?: Reflection[];
}

/** TypeDoc's ReflectionKind.Class. */
const CLASS = 128;

let work: string;
let project: Reflection;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'glacier-api-docs-'));
  const typedoc = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
  await run(process.execPath, [typedoc, '--out', join(work, 'html'), '--json', join(work, 'api.json')], { cwd: ROOT });
  project = JSON.parse(await readFile(join(work, 'api.json'), 'utf8')) as Reflection;
}, 180_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the API reference', () => {
  it('titles its modules glacier-resource and glacier-resource/local', async () => {
    expect(project.children!.map((m) => m.name)).toEqual(['glacier-resource', 'glacier-resource/local']);
    const page = await readFile(join(work, 'html', 'modules', 'glacier-resource_local.html'), 'utf8');
    expect(page).toMatch(/<title>glacier-resource\/local \|/);
  });

  it('documents each SDK exception re-exported (those the README says to catch among them), with the SDK\'s description', async () => {
    const index = await readFile(join(ROOT, 'src', 'index.ts'), 'utf8');
    const sdk = /export \{([^}]*)\} from '@aws-sdk\/client-glacier';/.exec(index)![1]!;
    const named = new Set([...sdk.matchAll(/\b(\w+Exception)\b/g)].map((m) => m[1]!));
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    for (const [, name] of readme.matchAll(/`(\w+Exception)`/g)) expect(named).toContain(name);
    expect(named.size).toBeGreaterThanOrEqual(10);
    const main = project.children!.find((m) => m.name === 'glacier-resource')!;
    for (const name of named) {
      const page = main.children!.find((c) => c.name === name);
      expect(page?.kind, name).toBe(CLASS);
      expect(page!.comment?.summary.map((p) => p.text).join('').trim(), name).not.toBe('');
    }
  });
});
