/**
 * The package as a user gets it: `npm pack`, then the tarball installed into
 * a new project (from the npm cache when it can be, else from the registry).
 * ESM `import`, CommonJS `require`, TypeScript in both module modes, and
 * both bins must work there; the tarball carries its licence and metadata,
 * and its source maps carry their sources.
 *
 * Needs `npm run build` first (npm test does); it packs the existing `dist`.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SLOW = 300_000;

/** npm settings passed on to the child npm; the rest of npm's environment (its project prefix above all) is not. */
const NPM_SETTINGS = ['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_registry', 'npm_config_cafile'];

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) || NPM_SETTINGS.includes(key.toLowerCase())) env[key] = value;
  }
  delete env.INIT_CWD;
  return { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', npm_config_update_notifier: 'false' };
}

async function installedVersion(name: string): Promise<string> {
  return (JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs a command in the project; resolves with its output, rejects with it in the message. */
async function sh(cwd: string, file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { cwd, env: { ...childEnv(), ...env }, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** A round trip against an in-process local endpoint; `imports` binds resource, treeHash, ResourceNotFoundException, startLocalGlacier. */
function roundTrip(imports: string): string {
  return `${imports}
async function main() {
  const local = await startLocalGlacier({ inMemory: true });
  try {
    const glacier = resource({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const vault = await glacier.createVault({ vaultName: 'from-tarball' });
    const archive = await vault.uploadArchive({ body: 'hello' });
    const missing = await glacier.Vault('-', 'no-such-vault').load().then(() => false, (e) => e instanceof ResourceNotFoundException);
    console.log(JSON.stringify({ verified: archive.checksum === treeHash(Buffer.from('hello')), missing }));
  } finally {
    await local.close();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
`;
}

const ESM = roundTrip(`import { resource, treeHash, ResourceNotFoundException } from 'glacier-resource';
import { startLocalGlacier } from 'glacier-resource/local';`);
const CJS = roundTrip(`const { resource, treeHash, ResourceNotFoundException } = require('glacier-resource');
const { startLocalGlacier } = require('glacier-resource/local');`);

/** Type-checked as .mts (ES module) and .cts (CommonJS) under `module: nodenext`. */
const TYPED = `import { resource, uploadArchive, ResourceNotFoundException, type UploadProgress, type Vault } from 'glacier-resource';
import { startLocalGlacier, type LocalGlacierOptions } from 'glacier-resource/local';

const options: LocalGlacierOptions = { inMemory: true };
export async function check(): Promise<Vault> {
  const local = await startLocalGlacier(options);
  const glacier = resource({ endpoint: local.endpoint, region: 'us-east-1' });
  const onProgress = (p: UploadProgress): number => p.loaded;
  await uploadArchive({ client: glacier.meta.client, accountId: '-', vaultName: 'v' }, { body: 'x', onProgress });
  const error: unknown = undefined;
  if (error instanceof ResourceNotFoundException) console.log(error.$metadata.httpStatusCode);
  return glacier.Vault('-', 'v');
}
`;

const TSCONFIG = {
  compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'] },
  files: ['typed.mts', 'typed.cts'],
};

let work: string;
let project: string;
let packed: { filename: string; files: Array<{ path: string }> };

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist is missing: run `npm run build` first (npm test does).');
  work = await mkdtemp(join(tmpdir(), 'glacier-tarball-'));
  const { stdout } = await sh(ROOT, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work]);
  [packed] = JSON.parse(stdout) as [typeof packed];
  project = join(work, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const deps = [join(work, packed.filename), `typescript@${await installedVersion('typescript')}`, `@types/node@${await installedVersion('@types/node')}`];
  const install = (mode: string) => sh(project, 'npm', ['install', '--no-audit', '--no-fund', mode, ...deps]);
  // Offline when the npm cache holds everything; else the registry fills in what is missing.
  await install('--offline').catch(() => install('--prefer-offline'));
  await writeFile(join(project, 'esm.mjs'), ESM);
  await writeFile(join(project, 'cjs.cjs'), CJS);
  await writeFile(join(project, 'typed.mts'), TYPED);
  await writeFile(join(project, 'typed.cts'), TYPED);
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
}, SLOW);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const installed = (...path: string[]) => join(project, 'node_modules', 'glacier-resource', ...path);

describe('the packed tarball, installed into a new project', () => {
  it('works with ESM import', async () => {
    const { stdout } = await sh(project, process.execPath, ['esm.mjs']);
    expect(JSON.parse(stdout)).toEqual({ verified: true, missing: true });
  });

  it('works with CommonJS require, for both entry points', async () => {
    const { stdout } = await sh(project, process.execPath, ['cjs.cjs']);
    expect(JSON.parse(stdout)).toEqual({ verified: true, missing: true });
  });

  it('type-checks in TypeScript as an ES module and as CommonJS (module: nodenext)', async () => {
    await sh(project, process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.']);
  }, SLOW);

  it('installs both bins: --version, and glacier against glacier-local', async () => {
    const bin = (name: string) => join(project, 'node_modules', '.bin', name);
    const { version } = JSON.parse(await readFile(installed('package.json'), 'utf8')) as { version: string };
    expect((await sh(project, bin('glacier'), ['--version'])).stdout.trim()).toBe(version);
    expect((await sh(project, bin('glacier-local'), ['--version'])).stdout.trim()).toBe(version);

    const server = spawn(bin('glacier-local'), ['--in-memory', '--port', '0'], { cwd: project, env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /listening on (\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.once('exit', (code) => reject(new Error(`glacier-local exited (${code}): ${out}`)));
      });
      const keys = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
      const cli = (...args: string[]) => sh(project, bin('glacier'), ['--endpoint', endpoint, '--region', 'us-east-1', ...args], keys);
      await cli('vault', 'create', 'bins');
      const vaults = JSON.parse((await cli('--json', 'vaults')).stdout) as Array<{ name: string }>;
      expect(vaults.map((v) => v.name)).toEqual(['bins']);
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('carries the licence and the metadata that link back to the repository', async () => {
    expect(packed.files.map((f) => f.path)).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js']));
    expect(packed.files.filter((f) => !/^(dist\/|LICENSE$|README\.md$|package\.json$)/.test(f.path))).toEqual([]);
    const licence = await readFile(installed('LICENSE'), 'utf8');
    expect(licence).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    const pkg = JSON.parse(await readFile(installed('package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({
      license: 'Apache-2.0',
      repository: { type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/) },
      homepage: expect.stringMatching(/^https:\/\/github\.com\//),
      bugs: { url: expect.stringMatching(/^https:\/\/github\.com\/.*\/issues$/) },
      keywords: expect.arrayContaining(['glacier', 'aws']),
    });
    // Links in the README work wherever it is shown: none is relative to the repository.
    const readme = await readFile(installed('README.md'), 'utf8');
    expect(readme.match(/\]\((?!https?:\/\/|#)[^)]*\)/g) ?? []).toEqual([]);
  });

  it('ships source maps only with their sources inlined', async () => {
    const maps = packed.files.map((f) => f.path).filter((p) => p.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    expect(maps.filter((p) => p.endsWith('.d.ts.map'))).toEqual([]);
    for (const path of maps) {
      const map = JSON.parse(await readFile(installed(path), 'utf8')) as { sources: string[]; sourcesContent?: unknown[] };
      expect(map.sourcesContent?.length, path).toBe(map.sources.length);
      expect(map.sourcesContent!.every((s) => typeof s === 'string' && s.length > 0), path).toBe(true);
    }
    expect(await readdir(installed())).not.toContain('src');
  });
});
