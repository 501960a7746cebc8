import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, useCliFixture } from './run.js';

const fixture = useCliFixture('upload-input');
let work: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  ({ work, env } = fixture);
});

describe('glacier upload refuses bad input before it draws or sends anything', () => {
  const cases: Array<[string, (file: string) => string[], RegExp]> = [
    ['a part size that is not 1 MiB x 2^n', (f) => ['upload', f, '--vault', 'v', '--part-size', '3MiB'], /Invalid part size 3145728/],
    ['a description that is not printable ASCII', (f) => ['upload', f, '--vault', 'v', '--description', 'café'], /--description contains "é"/],
    ['a description over 1024 characters', (f) => ['upload', f, '--vault', 'v', '--description', 'x'.repeat(1025)], /at most 1024/],
    ['a directory', () => ['upload', work, '--vault', 'v'], /is not a regular file/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const file = join(work, 'small.txt');
      await writeFile(file, 'hello');
      const r = await runCli(args(file), env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/upload\s+\d+%/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
