/**
 * Transfer progress for the CLI and the tour, on cli-progress.
 *
 * On a terminal it draws one live bar with the percentage, bytes done, the
 * rate and the ETA. When the stream is not a terminal (a pipe, a file, CI) it
 * never redraws: it writes one plain line every few seconds and a final line,
 * so logs stay readable and nothing waits on a terminal.
 *
 * @module
 */
import { clearLine, cursorTo } from 'node:readline';
import cliProgress from 'cli-progress';
import { formatBytes, formatDuration, formatRate } from './format.js';

/** Options of {@link TransferProgress}. */
export interface TransferProgressOptions {
  /** Where to draw (default `process.stderr`). */
  stream?: NodeJS.WriteStream;
  /** Label written before the bar, e.g. `upload`. */
  label?: string;
  /** Interval of the plain lines when the stream is not a terminal, in ms (default 2000). */
  plainInterval?: number;
  /** Draw nothing at all. */
  silent?: boolean;
  /** Overrides terminal detection (tests). */
  tty?: boolean;
  /** What is counted: bytes (default) or items such as archives. */
  unit?: 'bytes' | 'items';
}

/** The bar currently drawing on a terminal, if any (see {@link noteAboveProgress}). */
let activeBar: TransferProgress | undefined;

/**
 * Writes a note to stderr; when a progress bar is live on the terminal, the
 * note goes above it instead of through it.
 */
export function noteAboveProgress(text: string): void {
  if (activeBar) activeBar.note(text);
  else process.stderr.write(`${text}\n`);
}

/**
 * A live bar turns the terminal's line wrapping off while it draws. If the
 * process exits without stopping it (a second Ctrl-C), turn it back on.
 */
process.on('exit', () => {
  if (activeBar?.isTTY) activeBar.restoreTerminal();
});

/** Seconds of history used for the rate shown. */
const RATE_WINDOW_MS = 5000;

/**
 * A single byte-progress bar with rate and ETA.
 *
 * ```ts
 * const bar = new TransferProgress({ label: 'upload' });
 * bar.start(size);
 * await vault.uploadArchive({ body, onProgress: (p) => bar.update(p.loaded) });
 * bar.stop();
 * ```
 */
export class TransferProgress {
  #bar: cliProgress.SingleBar | undefined;
  readonly #silent: boolean;
  readonly #label: string;
  readonly #plainInterval: number;
  #knownTotal = true;
  readonly #tty: boolean;
  readonly #stream: NodeJS.WriteStream;
  readonly #samples: Array<{ t: number; loaded: number }> = [];
  #total = 0;
  #loaded = 0;
  #startedAt = 0;
  #startLoaded = 0;
  #running = false;
  readonly #unit: 'bytes' | 'items';

  constructor(options: TransferProgressOptions = {}) {
    const stream = options.stream ?? process.stderr;
    this.#stream = stream;
    this.#tty = options.tty ?? stream.isTTY === true;
    this.#unit = options.unit ?? 'bytes';
    this.#silent = options.silent === true;
    this.#label = options.label ? `${options.label} ` : '';
    this.#plainInterval = options.plainInterval ?? 2000;
  }

  /** Makes the cli-progress bar; without a known total it shows bytes and rate only. */
  #makeBar(knownTotal: boolean): cliProgress.SingleBar {
    const counts = knownTotal
      ? `${this.#tty ? '[{bar}] ' : ''}{percentage}% | {done} / {size} | {rate} | ETA {etaText}`
      : '{done} | {rate} | {etaText}';
    return new cliProgress.SingleBar({
      stream: this.#stream,
      format: `${this.#label}${counts}`,
      barsize: 30,
      hideCursor: false,
      noTTYOutput: !this.#tty,
      notTTYSchedule: this.#plainInterval,
      fps: 8,
      // On a terminal, leave the finished bar on screen; off a terminal,
      // avoid the blank line cli-progress would add after the final line.
      clearOnComplete: !this.#tty,
      linewrap: this.#tty ? false : true,
      ...(this.#tty ? {} : { barCompleteChar: '', barIncompleteChar: '' }),
    });
  }

  /**
   * Writes a line of text without breaking the bar: on a terminal the bar's
   * line is cleared, the text written, and the bar drawn again below it.
   */
  note(text: string): void {
    if (this.#bar && this.#running && this.#tty) {
      cursorTo(this.#stream, 0);
      clearLine(this.#stream, 0);
      // Save the cursor again (DEC save): cli-progress restores the position
      // it saved at start() when it stops, which is now the note's line.
      this.#stream.write(`${text}\n\x1b7`);
      // Redraw at once, even though the bar's text has not changed: the
      // generic bar's render (SingleBar's parent class) takes a force flag.
      const generic = Object.getPrototypeOf(cliProgress.SingleBar.prototype) as cliProgress.GenericBar;
      generic.render.call(this.#bar, true);
    } else {
      this.#stream.write(`${text}\n`);
    }
  }

  /** Turns line wrapping back on and ends the bar's line, without drawing (for an abrupt exit). */
  restoreTerminal(): void {
    if (this.#tty) this.#stream.write('\x1b[?7h\n');
  }

  /** True when the bar is drawn on a terminal (live redraws). */
  get isTTY(): boolean {
    return this.#tty;
  }

  /**
   * Starts the bar for `total` bytes (undefined when unknown, e.g. stdin),
   * optionally with bytes already done (a resume).
   */
  start(total: number | undefined, alreadyDone = 0): void {
    this.#knownTotal = total !== undefined;
    this.#bar = this.#silent ? undefined : this.#makeBar(this.#knownTotal);
    total ??= 0;
    this.#total = total;
    this.#loaded = alreadyDone;
    this.#startLoaded = alreadyDone;
    this.#startedAt = Date.now();
    this.#samples.length = 0;
    this.#samples.push({ t: this.#startedAt, loaded: alreadyDone });
    this.#running = true;
    if (this.#bar && this.#tty) activeBar = this;
    this.#bar?.start(Math.max(total, 1), Math.min(alreadyDone, Math.max(total, 1)), this.#payload());
  }

  /**
   * Marks `loaded` bytes as done before this run (a resumed download found
   * them already verified): the bar shows them, the rate and ETA do not count them.
   */
  resumedAt(loaded: number): void {
    if (!this.#running) return;
    this.#startLoaded = loaded;
    this.#samples.length = 0;
    this.#samples.push({ t: Date.now(), loaded });
    this.update(loaded);
  }

  /** Sets the bytes done so far (and the total, if it became known). */
  update(loaded: number, total?: number): void {
    if (!this.#running) return;
    if (total !== undefined && total !== this.#total && this.#knownTotal) {
      this.#total = total;
      this.#bar?.setTotal(Math.max(total, 1));
    }
    this.#loaded = loaded;
    const now = Date.now();
    this.#samples.push({ t: now, loaded });
    while (this.#samples.length > 2 && (this.#samples[0]?.t ?? now) < now - RATE_WINDOW_MS) this.#samples.shift();
    this.#bar?.update(this.#knownTotal ? Math.min(loaded, Math.max(this.#total, 1)) : 0, this.#payload());
  }

  /**
   * Stops the bar, leaving its last state on screen; returns the average
   * rate in bytes/s. `finished` false (a failure, an interruption) shows
   * "stopped after", not "done in", also when the total was never known.
   */
  stop(finished = true): number {
    if (!this.#running) return 0;
    this.#running = false;
    if (activeBar === this) activeBar = undefined;
    this.#bar?.update(this.#knownTotal ? Math.min(this.#loaded, Math.max(this.#total, 1)) : 0, this.#payload(true, finished));
    this.#bar?.stop();
    const seconds = (Date.now() - this.#startedAt) / 1000;
    return seconds > 0 ? (this.#loaded - this.#startLoaded) / seconds : 0;
  }

  #rate(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last.t <= first.t) return 0;
    return ((last.loaded - first.loaded) * 1000) / (last.t - first.t);
  }

  #payload(final = false, finished = true): Record<string, string> {
    const rate = final ? ((this.#loaded - this.#startLoaded) * 1000) / Math.max(1, Date.now() - this.#startedAt) : this.#rate();
    const left = this.#total - this.#loaded;
    const elapsed = formatDuration((Date.now() - this.#startedAt) / 1000);
    let etaText = '-';
    if (final && !finished) etaText = `stopped after ${elapsed}`;
    else if (!this.#knownTotal) etaText = final ? `done in ${elapsed}` : `${elapsed} so far`;
    else if (left <= 0) etaText = `done in ${elapsed}`;
    else if (final) etaText = `stopped after ${elapsed}`;
    else if (rate > 0) etaText = formatDuration(left / rate);
    const items = this.#unit === 'items';
    return {
      done: items ? String(this.#loaded) : formatBytes(this.#loaded),
      size: items ? String(this.#total) : formatBytes(this.#total),
      rate: rate <= 0 ? '-' : items ? `${rate.toFixed(rate < 10 ? 1 : 0)}/s` : formatRate(rate),
      etaText,
    };
  }
}
