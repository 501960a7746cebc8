/**
 * Exit codes of the `glacier` CLI, and the mapping from an error to a code
 * and one readable line.
 *
 * | Code | Meaning |
 * |---|---|
 * | 0 | Success. |
 * | 1 | Unexpected error. |
 * | 2 | Usage error: a bad argument or option, no region configured, or a local file that cannot be read or written where asked. |
 * | 3 | Not found: the vault, archive, job or upload does not exist (or the job output expired). |
 * | 4 | The service refused the request (credentials, permissions, a rule such as "vault not empty", throttling after retries, closure to new accounts). |
 * | 5 | Data did not verify: a tree-hash mismatch or an incomplete download. Nothing unverified is left under the target name. |
 * | 6 | A job failed, or is not ready yet, or waiting for it timed out. |
 * | 7 | An upload failed; its upload id is printed so that `--resume` can continue it. |
 * | 130 | Interrupted (Ctrl-C). Uploads, downloads and purges can be resumed. |
 * | 141 | Standard output was closed by its reader (`download ... - \| head`); nothing else is printed. |
 *
 * @module
 */
import { isRegionMissing } from '../service-errors.js';

/** The process exit codes of the `glacier` CLI. */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** Unexpected error. */
  ERROR: 1,
  /** Bad arguments or options, or a local file that cannot be read or written. */
  USAGE: 2,
  /** The vault, archive, job or upload does not exist. */
  NOT_FOUND: 3,
  /** The service refused the request. */
  SERVICE: 4,
  /** Data did not verify. */
  VERIFY: 5,
  /** A job failed, is not ready, or waiting timed out. */
  JOB: 6,
  /** An upload failed (resumable). */
  UPLOAD: 7,
  /** Interrupted by a signal. */
  INTERRUPTED: 130,
  /** Standard output was closed by its reader (`| head`): the status of a process killed by SIGPIPE. */
  BROKEN_PIPE: 141,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error raised by the CLI itself, with the exit code it should produce. */
export class CliError extends Error {
  override name = 'CliError';
  /** The exit code. */
  readonly exitCode: ExitCodeValue;
  /** True when the command already printed its result (a report): `--json` then prints no error document. */
  readonly reported: boolean;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.ERROR, options?: ErrorOptions & { reported?: boolean }) {
    super(message, options);
    this.exitCode = exitCode;
    this.reported = options?.reported === true;
  }
}

/** Error names (the SDK's exception names and the library's own) mapped to exit codes. */
const BY_NAME: Record<string, ExitCodeValue> = {
  ValidationError: ExitCode.USAGE,
  ResourceNotFoundException: ExitCode.NOT_FOUND,
  TreeHashMismatchError: ExitCode.VERIFY,
  DownloadError: ExitCode.VERIFY,
  JobFailedError: ExitCode.JOB,
  WaitTimeoutError: ExitCode.JOB,
  UploadError: ExitCode.UPLOAD,
  AbortError: ExitCode.INTERRUPTED,
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Error codes of a local file or folder that cannot be read or written (the disk full, a file too large for it, …). */
const LOCAL_FILE_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EFBIG', 'ENAMETOOLONG']);
/** System calls of the network, whose errors are not about local files. */
const NETWORK_CALLS = new Set(['connect', 'getaddrinfo', 'getnameinfo', 'listen', 'bind']);

/** `error` and its causes, outermost first. */
function causes(error: unknown): Record<string, unknown>[] {
  const chain: Record<string, unknown>[] = [];
  for (let e: unknown = error; isObject(e) && chain.length < 5; e = e.cause) chain.push(e);
  return chain;
}

/** The local file-system error behind `error` (itself or a cause it wraps), if any. */
export function localFileProblem(error: unknown): NodeJS.ErrnoException | undefined {
  return causes(error).find(isLocalFileError) as NodeJS.ErrnoException | undefined;
}

/** True for a file-system error of the local machine (it names its system call). */
function isLocalFileError(e: Record<string, unknown>): boolean {
  return typeof e.code === 'string' && LOCAL_FILE_CODES.has(e.code) && typeof e.syscall === 'string' && !NETWORK_CALLS.has(e.syscall);
}

/** Chooses the exit code for an error. */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof CliError) return error.exitCode;
  if (isRegionMissing(error)) return ExitCode.USAGE;
  if (!isObject(error)) return ExitCode.ERROR;
  const chain = causes(error);
  // A local file that cannot be read or written, whatever the operation wrapped it in (a full disk is not bad data).
  if (localFileProblem(error)) return ExitCode.USAGE;
  const name = typeof error.name === 'string' ? error.name : '';
  // An upload to resume that Glacier does not know (never made, completed, aborted, or expired).
  if (name === 'UploadError' && chain.some((e) => e.name === 'ResourceNotFoundException')) return ExitCode.NOT_FOUND;
  const byName = BY_NAME[name];
  if (byName !== undefined) return byName;
  // "The job is not currently available for download".
  if (name === 'InvalidParameterValueException' && /not currently available/i.test(String(error.message))) {
    return ExitCode.JOB;
  }
  // Any other answer from the service (it has $metadata), or a credentials problem.
  if ('$metadata' in error || '$fault' in error || /Credentials|Signature|AccessDenied/.test(name)) {
    return ExitCode.SERVICE;
  }
  if (typeof error.code === 'string' && /^E(CONNREFUSED|CONNRESET|NOTFOUND|AI_AGAIN|TIMEDOUT)$/.test(error.code)) {
    return ExitCode.SERVICE;
  }
  return ExitCode.ERROR;
}

/** What the CLI says when no Region is configured anywhere. */
const REGION_MISSING_LINE =
  'glacier: no AWS Region is configured: pass --region REGION (the Region your vaults are in) or set AWS_REGION, ' +
  'or use a --profile whose config has a region';

/** Formats an error as one line: `glacier: <Name>: <message>`, without a stack. */
export function errorLine(error: unknown): string {
  if (!isObject(error)) return `glacier: ${String(error)}`;
  if (isRegionMissing(error)) return REGION_MISSING_LINE;
  const name = typeof error.name === 'string' ? error.name : 'Error';
  let message = typeof error.message === 'string' ? error.message : String(error);
  if (typeof error.code === 'string' && /^E[A-Z]+$/.test(error.code) && !message.includes(error.code)) {
    message = `${error.code}: ${message}`;
  }
  if (message === '' || message === 'UnknownError') message = '(no message from the service)';
  if (typeof error.code === 'string' && /^E(CONNREFUSED|NOTFOUND|AI_AGAIN|HOSTUNREACH|NETUNREACH)$/.test(error.code)) {
    message += ' (cannot reach the Glacier endpoint: check --endpoint or AWS_ENDPOINT_URL_GLACIER, --region, and the network)';
  }
  if (name === 'CredentialsProviderError') {
    message += ' (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use --profile NAME with the shared AWS files)';
  }
  const oneLine = message.replace(/\s*\n\s*/g, ' ').trim();
  const prefix = error instanceof CliError || name === 'Error' ? '' : `${name}: `;
  return `glacier: ${prefix}${oneLine}`;
}
