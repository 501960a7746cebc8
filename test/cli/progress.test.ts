import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TransferProgress } from '../../src/cli/progress.js';
import { errorLine, ExitCode, exitCodeFor, CliError } from '../../src/cli/exit-codes.js';
import { formatBytes, formatDuration, parseSize, formatTable } from '../../src/cli/format.js';
import { JobFailedError, TreeHashMismatchError, UploadError, ValidationError } from '../../src/errors.js';

/** A writable that looks like a terminal (or not) and records what was written. */
function fakeStream(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let text = '';
  (stream as PassThrough).on('data', (d: Buffer) => (text += d.toString()));
  Object.assign(stream, { isTTY: tty, columns: 120 });
  return { stream, text: () => text };
}

describe('TransferProgress', () => {
  it('off a terminal writes plain lines with rate and ETA, never redraws', async () => {
    const { stream, text } = fakeStream(false);
    const bar = new TransferProgress({ stream, label: 'upload', plainInterval: 20 });
    bar.start(100 * 1024 * 1024);
    for (let i = 1; i <= 5; i++) {
      await new Promise((r) => setTimeout(r, 15));
      bar.update(i * 10 * 1024 * 1024);
    }
    await new Promise((r) => setTimeout(r, 30));
    bar.stop();
    const out = text();
    expect(out).not.toMatch(/\r|\x1b\[/);
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l.startsWith('upload '))).toBe(true);
    expect(out).toMatch(/upload \d+% \| [\d.]+ MiB \/ 100\.0 MiB \| [\d.]+ MiB\/s \| ETA [\d.]+s/);
    expect(lines.at(-1)).toMatch(/^upload 50% \| 50\.0 MiB \/ 100\.0 MiB \| .* \| ETA stopped after /);
  });

  it('a stream of unknown length says "done in" when it finished and "stopped after" when it did not', () => {
    for (const finished of [true, false]) {
      const { stream, text } = fakeStream(false);
      const bar = new TransferProgress({ stream, label: 'upload' });
      bar.start(undefined);
      bar.update(2048);
      bar.stop(finished);
      expect(text().trim().split('\n').at(-1)).toMatch(finished ? /\| done in / : /\| stopped after /);
    }
  });

  it('on a terminal draws one bar redrawn in place', async () => {
    const { stream, text } = fakeStream(true);
    const bar = new TransferProgress({ stream, label: 'download' });
    bar.start(1000);
    await new Promise((r) => setTimeout(r, 150));
    bar.update(500);
    await new Promise((r) => setTimeout(r, 150));
    bar.update(1000);
    bar.stop();
    const out = text();
    expect(out).toMatch(/\x1b\[/); // cursor control: redraws
    expect(out).toContain('download [');
    expect(out).toMatch(/100% \| 1000 B \/ 1000 B/);
    expect(out.split('\n').filter((l) => l.trim() !== '')).toHaveLength(1);
  });

  it('a note during a live bar gets its own line and the bar is drawn again below it', async () => {
    const { stream, text } = fakeStream(true);
    const bar = new TransferProgress({ stream, label: 'upload' });
    bar.start(1000);
    bar.note('upload id: ABC');
    bar.update(1000);
    bar.stop();
    const out = text();
    const noteAt = out.indexOf('upload id: ABC\n');
    expect(noteAt).toBeGreaterThan(0);
    // The bar was redrawn after the note, on the next line.
    expect(out.slice(noteAt)).toMatch(/upload id: ABC\n(\x1b(\[[0-9;]*[A-Za-z]|7))*upload \[/);
  });

  it('counts items for purges and can be silent', () => {
    const { stream, text } = fakeStream(false);
    const bar = new TransferProgress({ stream, unit: 'items', label: 'purge' });
    bar.start(10);
    bar.update(10);
    bar.stop();
    expect(text()).toMatch(/^purge 100% \| 10 \/ 10 \|/m);
    const quiet = fakeStream(false);
    const silent = new TransferProgress({ stream: quiet.stream, silent: true });
    silent.start(10);
    silent.update(5);
    silent.stop();
    expect(quiet.text()).toBe('');
  });
});

describe('exit codes and error lines', () => {
  it('maps library and service errors to documented codes', () => {
    const named = (name: string, extra: object = {}) => Object.assign(new Error('x'), { name, ...extra });
    expect(exitCodeFor(new ValidationError('vaultName', 'bad'))).toBe(ExitCode.USAGE);
    expect(exitCodeFor(named('ResourceNotFoundException', { $metadata: {} }))).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeFor(named('InvalidParameterValueException', { $metadata: {} }))).toBe(ExitCode.SERVICE);
    expect(exitCodeFor(Object.assign(named('InvalidParameterValueException', { $metadata: {} }), { message: 'The job is not currently available for download: j' }))).toBe(ExitCode.JOB);
    expect(exitCodeFor(named('NoLongerSupportedException', { $metadata: {} }))).toBe(ExitCode.SERVICE);
    expect(exitCodeFor(new TreeHashMismatchError('a', 'b'))).toBe(ExitCode.VERIFY);
    expect(exitCodeFor(new JobFailedError('j', 'gone'))).toBe(ExitCode.JOB);
    expect(exitCodeFor(new UploadError('failed', { uploadId: 'u', partsLeft: true }))).toBe(ExitCode.UPLOAD);
    expect(exitCodeFor(named('AbortError'))).toBe(ExitCode.INTERRUPTED);
    expect(exitCodeFor(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(ExitCode.SERVICE);
    expect(exitCodeFor(new CliError('x', ExitCode.JOB))).toBe(6);
    expect(exitCodeFor(new TypeError('bug'))).toBe(ExitCode.ERROR);
  });

  it('formats an error as one line', () => {
    expect(errorLine(new ValidationError('p', 'Bad\nthing.'))).toBe('glacier: ValidationError: Bad thing.');
    expect(errorLine(new CliError('plain message'))).toBe('glacier: plain message');
    expect(errorLine(Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' }))).toBe(
      'glacier: ECONNREFUSED: connect failed (cannot reach the Glacier endpoint: check --endpoint or AWS_ENDPOINT_URL_GLACIER, --region, and the network)',
    );
  });
});

describe('formatting', () => {
  it('formats sizes, durations, tables and parses sizes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300.0 MiB');
    expect(formatDuration(4.24)).toBe('4.2s');
    expect(formatDuration(3723)).toBe('1h02m03s');
    expect(parseSize('64MiB')).toBe(64 * 1024 * 1024);
    expect(parseSize('1g')).toBe(1024 ** 3);
    expect(parseSize('1048576')).toBe(1048576);
    expect(() => parseSize('lots')).toThrow(RangeError);
    expect(formatTable([{ a: 'x', n: 5 }], [{ header: 'A', value: (r) => r.a }, { header: 'N', value: (r) => String(r.n), right: true }])).toBe('A  N\n-  -\nx  5');
  });
});
