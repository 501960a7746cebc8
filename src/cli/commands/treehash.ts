import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { treeHashFile } from '../../index.js';
import { globalOptions, Output } from '../context.js';
import { positiveInt } from '../args.js';
import { formatBytes, formatRate } from '../format.js';

/** `glacier treehash FILE...`: the SHA-256 tree hash Glacier reports for each file. */
export function registerTreehash(program: Command): void {
  program
    .command('treehash')
    .description("print the SHA-256 tree hash of files, as Glacier computes it (the archive's checksum)")
    .argument('<file...>', 'files to hash')
    .option('--workers <n>', 'hashing threads (default: up to 2)', (v) => positiveInt(v, '--workers'))
    .action(async (files: string[], options: { workers?: number }, command: Command) => {
      const output = new Output(globalOptions(command));
      const workers = options.workers ?? Math.min(2, availableParallelism());
      const results: Array<{ file: string; size: number; treeHash: string }> = [];
      for (const file of files) {
        const started = Date.now();
        const { size } = await stat(file);
        const treeHash = await treeHashFile(file, { workers });
        const seconds = (Date.now() - started) / 1000;
        results.push({ file, size, treeHash });
        if (!output.json && files.length === 1 && seconds > 1) {
          output.note(`${formatBytes(size)} hashed at ${formatRate(size / seconds)}`);
        }
      }
      output.result(files.length === 1 ? results[0] : results, () =>
        results.map((r) => `${r.treeHash}  ${r.file}`).join('\n'),
      );
    });
}
