#!/usr/bin/env node
/**
 * The `glacier` executable. See `glacier --help` for commands and exit codes.
 *
 * @module
 */
import { runCli } from './program.js';

// Exit explicitly: idle keep-alive sockets or timers must never keep a
// finished command waiting. stdout and stderr are synchronous on pipes, files
// and terminals on POSIX, so nothing written is lost.
process.exit(await runCli(process.argv));
