#!/usr/bin/env node
/**
 * The `glacier` executable. See `glacier --help` for commands and exit codes.
 *
 * @module
 */
import { runCli } from './program.js';

// This package supports Node 20; the SDK's notice about its own future Node
// requirement is not actionable for a CLI user.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Exit explicitly: idle keep-alive sockets or timers must never keep a
// finished command waiting. stdout and stderr are synchronous on pipes, files
// and terminals on POSIX, so nothing written is lost.
process.exit(await runCli(process.argv));
