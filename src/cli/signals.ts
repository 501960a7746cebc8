/**
 * Ctrl-C handling for long commands: the first SIGINT or SIGTERM aborts the
 * operation's signal so it can stop cleanly (and say how to resume); a second
 * one exits at once.
 *
 * @module
 */
import { ExitCode } from './exit-codes.js';
import { noteAboveProgress } from './progress.js';

/** An AbortSignal tied to SIGINT/SIGTERM for the duration of `run`. */
export async function withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let interrupted = 0;
  const onSignal = (name: NodeJS.Signals) => {
    interrupted += 1;
    if (interrupted > 1) process.exit(ExitCode.INTERRUPTED);
    noteAboveProgress(`${name}: stopping cleanly (press Ctrl-C again to exit at once)`);
    const reason = new Error(`Interrupted by ${name}.`);
    reason.name = 'AbortError';
    controller.abort(reason);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await run(controller.signal);
  } catch (error) {
    // Whatever the operation threw while stopping, report the interruption.
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
