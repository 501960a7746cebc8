/**
 * Every interval the CLI takes is a duration with a unit (`500ms`, `30s`,
 * `5m`); a bare number keeps the meaning it had for its command, and every
 * --help says which unit that is.
 */
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { duration } from '../../src/cli/args.js';
import { cliEnv, finish, json, runCli, startCli, useCliFixture } from './run.js';

const TOUR = fileURLToPath(new URL('../../dist/cli/tour.js', import.meta.url));
const LOCAL = fileURLToPath(new URL('../../dist/local/cli.js', import.meta.url));

describe('duration()', () => {
  it('reads ms, s, m and h, and a bare number in the unit the option always had', () => {
    expect(duration('500ms', 'x', 's')).toBe(500);
    expect(duration('30s', 'x', 'ms')).toBe(30_000);
    expect(duration('5m', 'x', 's')).toBe(300_000);
    expect(duration('1.5h', 'x', 's')).toBe(5_400_000);
    expect(duration('0.05', 'x', 's')).toBe(50);
    expect(duration('50', 'x', 'ms')).toBe(50);
    expect(duration('2', 'x', 's')).toBe(2000);
    expect(duration(' 10 S ', 'x', 's')).toBe(10_000);
    expect(duration('0', 'x', 's')).toBe(0);
  });

  it('refuses anything else as a usage error that names the bare unit', () => {
    for (const bad of ['', 'fast', '-1', '5 minutes', '1e3', '10d', 's']) {
      expect(() => duration(bad, '--poll-interval', 's'), bad).toThrow(InvalidArgumentError);
    }
    expect(() => duration('soon', '--poll-interval', 's')).toThrow(/--poll-interval must be a duration such as 500ms, 30s or 5m \(a bare number is in seconds\)/);
  });
});

describe('--help of every command with an interval says its unit', () => {
  const env = cliEnv('http://unused');
  const help = async (script: string | undefined, args: string[]) => {
    const r = await finish(startCli([...args, '--help'], env, script));
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.replace(/\s+/g, ' ');
  };

  it('glacier inventory, download and purge: --poll-interval is a duration, a bare number in seconds', async () => {
    for (const command of ['inventory', 'download', 'purge']) {
      const text = await help(undefined, [command]);
      expect(text, command).toMatch(/--poll-interval <duration> first wait between job status checks .*500ms, 30s or 5m, a bare number being seconds \(default: 1s/);
    }
  });

  it('the tour: --poll-interval bare in milliseconds, --job-delay bare in seconds', async () => {
    const text = await help(TOUR, []);
    expect(text).toMatch(/--poll-interval <duration> .*500ms, 30s, 5m; a bare number is milliseconds/);
    expect(text).toMatch(/--job-delay <duration> .*a bare number is seconds/);
  });

  it('glacier-local and glacier local: --job-delay in seconds', async () => {
    expect(await help(LOCAL, [])).toMatch(/--job-delay <seconds> seconds until every job completes/);
    expect(await help(undefined, ['local'])).toMatch(/--job-delay <seconds> seconds until every job completes/);
  });
});

describe('glacier inventory --wait with a duration', () => {
  const fixture = useCliFixture('durations');

  it('takes --poll-interval 20ms, and refuses --poll-interval soon (exit 2)', async () => {
    const { env } = fixture;
    expect((await runCli(['vault', 'create', 'durations'], env)).code).toBe(0);
    const r = await runCli(['--json', 'inventory', 'durations', '--wait', '--poll-interval', '20ms'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ vault: 'durations' });
    const bad = await runCli(['inventory', 'durations', '--wait', '--poll-interval', 'soon'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--poll-interval must be a duration');
  });
});
