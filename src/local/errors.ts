/**
 * Service errors as Glacier sends them: an HTTP status, a JSON body
 * `{"code","message","type"}` and an `x-amzn-ErrorType` header.
 *
 * @module
 */

/** Whether the caller (`Client`) or the service (`Server`) is at fault. */
export type FaultType = 'Client' | 'Server';

/** An error answered to the client in Glacier's wire shape. */
export class ServiceError extends Error {
  /**
   * @param status - HTTP status code.
   * @param code - Glacier error code, e.g. `ResourceNotFoundException`.
   * @param message - Human-readable message.
   * @param type - `Client` or `Server`.
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: FaultType = status >= 500 ? 'Server' : 'Client',
  ) {
    super(message);
    this.name = code;
  }

  /** The JSON body AWS sends for this error. */
  toBody(): { code: string; message: string; type: FaultType } {
    return { code: this.code, message: this.message, type: this.type };
  }
}

/** 404 ResourceNotFoundException. */
export function notFound(message: string): ServiceError {
  return new ServiceError(404, 'ResourceNotFoundException', message);
}

/** 400 InvalidParameterValueException. */
export function invalidParameter(message: string): ServiceError {
  return new ServiceError(400, 'InvalidParameterValueException', message);
}

/** 400 MissingParameterValueException. */
export function missingParameter(message: string): ServiceError {
  return new ServiceError(400, 'MissingParameterValueException', message);
}

/** 400 LimitExceededException. */
export function limitExceeded(message: string): ServiceError {
  return new ServiceError(400, 'LimitExceededException', message);
}

/** 400 PolicyEnforcedException. */
export function policyEnforced(message: string): ServiceError {
  return new ServiceError(400, 'PolicyEnforcedException', message);
}

/** 403 AccessDeniedException. */
export function accessDenied(message: string): ServiceError {
  return new ServiceError(403, 'AccessDeniedException', message);
}

/** 408 RequestTimeoutException. */
export function requestTimeout(message = 'Request timed out.'): ServiceError {
  return new ServiceError(408, 'RequestTimeoutException', message);
}

/** 500 ServiceUnavailableException (Glacier sends this code with status 500). */
export function serviceUnavailable(message = 'Service is temporarily unavailable. Please retry.'): ServiceError {
  return new ServiceError(500, 'ServiceUnavailableException', message, 'Server');
}

/** 400 ThrottlingException. */
export function throttling(message = 'Rate exceeded'): ServiceError {
  return new ServiceError(400, 'ThrottlingException', message);
}

/** 400 InsufficientCapacityException (no capacity for an Expedited retrieval). */
export function insufficientCapacity(message = 'There is not enough capacity to process this job. Try again later, or use the Standard or Bulk tier.'): ServiceError {
  return new ServiceError(400, 'InsufficientCapacityException', message);
}

/**
 * An error after which the connection is closed rather than reused: the rest
 * of the request body is not read (it may be huge, or never arrive).
 */
export function closing(error: ServiceError): ServiceError {
  return Object.assign(error, { closeConnection: true });
}

/** 413 RequestEntityTooLargeException, answered before the body is read; the connection is closed. */
export function bodyTooLarge(limit: number): ServiceError {
  return closing(new ServiceError(413, 'RequestEntityTooLargeException', `The request body is larger than ${limit} bytes, the most this operation takes.`));
}
