/**
 * The library's own error types. Service errors are the SDK's named
 * exceptions (re-exported from the package root); everything here is raised
 * by the library itself, before or after a request.
 *
 * @module
 */

/** Base class of every error this library raises itself. */
export class GlacierResourceError extends Error {
  /** The error's name, `GlacierResourceError`. */
  override name = 'GlacierResourceError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Bad input, caught before any request is sent. The message says which value
 * is wrong and what Glacier accepts.
 */
export class ValidationError extends GlacierResourceError {
  /** The error's name, `ValidationError`. */
  override name = 'ValidationError';
  /** The name of the offending parameter, e.g. `vaultName`. */
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(message);
    this.parameter = parameter;
  }
}

/**
 * An attribute was read before the resource had data. The message names the
 * call that loads it (for example `await vault.load()`), or where the data of
 * a resource without a load comes from.
 */
export class ResourceNotLoadedError extends GlacierResourceError {
  /** The error's name, `ResourceNotLoadedError`. */
  override name = 'ResourceNotLoadedError';
}

/** A retrieval or inventory job finished with status `Failed`. */
export class JobFailedError extends GlacierResourceError {
  /** The error's name, `JobFailedError`. */
  override name = 'JobFailedError';
  /** The job id. */
  readonly jobId: string;
  /** Glacier's `StatusMessage` for the failure. */
  readonly statusMessage: string | undefined;
  constructor(jobId: string, statusMessage: string | undefined) {
    super(`Glacier job ${jobId} failed${statusMessage ? `: ${statusMessage}` : ''}.`);
    this.jobId = jobId;
    this.statusMessage = statusMessage;
  }
}

/** Waiting for a job or a vault took longer than the allowed time. */
export class WaitTimeoutError extends GlacierResourceError {
  /** The error's name, `WaitTimeoutError`. */
  override name = 'WaitTimeoutError';
}

/** Bytes did not hash to the tree hash that Glacier (or the caller) gave for them. */
export class TreeHashMismatchError extends GlacierResourceError {
  /** The error's name, `TreeHashMismatchError`. */
  override name = 'TreeHashMismatchError';
  /** The tree hash that was expected. */
  readonly expected: string;
  /** The tree hash of the bytes actually seen. */
  readonly actual: string;
  /** The inclusive byte range that was checked, when only part of a payload was. */
  readonly range:
    | {
        /** The first byte checked. */
        start: number;
        /** The last byte checked (inclusive). */
        end: number;
      }
    | undefined;
  constructor(expected: string, actual: string, range?: { start: number; end: number }, what = 'Data') {
    const where = range ? ` for bytes ${range.start}-${range.end}` : '';
    super(`${what}${where} has tree hash ${actual}, but ${expected} was expected.`);
    this.expected = expected;
    this.actual = actual;
    this.range = range;
  }
}

/**
 * A multipart upload failed. `uploadId` names the upload; `partsLeft` tells
 * whether its parts were left on the server (so it can be resumed with
 * `uploadArchive({ ..., uploadId })`) or the upload was aborted.
 */
export class UploadError extends GlacierResourceError {
  /** The error's name, `UploadError`. */
  override name = 'UploadError';
  /** The multipart upload id, when one had been initiated. */
  readonly uploadId: string | undefined;
  /** True when the upload was left in place (`leavePartsOnError`, or the abort itself failed). */
  readonly partsLeft: boolean;
  constructor(message: string, options: { uploadId?: string; partsLeft: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.uploadId = options.uploadId;
    this.partsLeft = options.partsLeft;
  }
}

/** A download could not be completed (after retries) or its output did not verify. */
export class DownloadError extends GlacierResourceError {
  /** The error's name, `DownloadError`. */
  override name = 'DownloadError';
  /** The job whose output was being downloaded. */
  readonly jobId: string;
  constructor(jobId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.jobId = jobId;
  }
}
