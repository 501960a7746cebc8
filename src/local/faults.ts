/**
 * Fault injection for clients' resilience tests.
 *
 * A fault SPEC is a comma-separated list of rules:
 *
 * ```
 * SPEC  := RULE ("," RULE)*
 * RULE  := OP ":" RATE ":" KIND [":" ARG]
 * OP    := an API operation name (e.g. UploadMultipartPart, GetJobOutput) | "*"
 * RATE  := a probability from 0 to 1, optionally followed by "#N": fire at most N times
 * KIND  := "500" | "503" | "throttle" | "408" | "drop" | "slow" | "corrupt" | "fail" | "capacity" | "diskfull"
 * ```
 *
 * Kinds:
 * - `500`: 500 ServiceUnavailableException (what Glacier sends when it is unavailable).
 * - `503`: 503 ServiceUnavailable; ARG `empty` sends no body, otherwise a JSON error body.
 * - `throttle`: 400 ThrottlingException.
 * - `408`: 408 RequestTimeoutException.
 * - `drop`: the connection is destroyed mid-body. Uploads: after ARG bytes of the
 *   request body were read (default: half of it). GetJobOutput: after ARG bytes of
 *   the response body were sent (default: half of it). Other operations: before any response.
 * - `slow`: the request is delayed by ARG milliseconds (default 1000), then served normally.
 * - `corrupt`: GetJobOutput only: one byte of the body is flipped while the
 *   `x-amz-sha256-tree-hash` header stays correct.
 * - `fail`: InitiateJob only: the job is created as usual (202 and a job id) but,
 *   after its usual delay, completes with `Completed: true`, `StatusCode: "Failed"`
 *   and ARG as its `StatusMessage` (default {@link DEFAULT_JOB_FAILURE}). ARG may
 *   hold colons but no commas. GetJobOutput on the failed job answers 400
 *   InvalidParameterValueException, as for a job that has not succeeded.
 * - `capacity`: InitiateJob of an archive retrieval with Tier `Expedited` only:
 *   400 InsufficientCapacityException, as Glacier answers when it has no capacity
 *   for Expedited retrievals. Other InitiateJob requests pass the rule by (it
 *   neither fires nor counts towards `#N`).
 * - `diskfull`: the request is served, but its metadata write fails as on a
 *   full disk (ENOSPC): the change is rolled back, nothing of it is kept or
 *   visible, and the client gets 500 ServiceUnavailableException (the SDKs
 *   retry it). Requests that change nothing are not affected.
 *
 * Rules are tried in order; the first that fires wins. Randomness comes from a
 * seeded generator, so a given seed and request sequence give the same faults.
 * A faulted request never changes the endpoint's state, with two exceptions:
 * `slow`, which is served normally after its delay, and `fail`, whose point is
 * to create a job that fails.
 *
 * Example: `UploadMultipartPart:0.1:500,GetJobOutput:0.1:corrupt,*:1#2:throttle`,
 * or `InitiateJob:1#1:fail:Retrieval failed` to make the next job fail.
 *
 * @module
 */

/**
 * The kinds of fault the endpoint can inject: `500`, `503`, `throttle` and
 * `408` answer that error; `drop` cuts the connection; `slow` delays the
 * request; `corrupt` flips a byte of GetJobOutput's body; `fail` makes an
 * InitiateJob create a job that completes `Failed` (ARG: its StatusMessage,
 * default {@link DEFAULT_JOB_FAILURE}); `capacity` answers an Expedited archive
 * retrieval's InitiateJob with 400 InsufficientCapacityException; `diskfull`
 * makes the request's metadata write fail as on a full disk. Every kind but
 * `slow` and `fail` leaves the endpoint's state unchanged.
 */
export type FaultKind = '500' | '503' | 'throttle' | '408' | 'drop' | 'slow' | 'corrupt' | 'fail' | 'capacity' | 'diskfull';

const KINDS: readonly FaultKind[] = ['500', '503', 'throttle', '408', 'drop', 'slow', 'corrupt', 'fail', 'capacity', 'diskfull'];

/** The `StatusMessage` of a job made to fail by a `fail` rule without ARG. */
export const DEFAULT_JOB_FAILURE = 'The job could not be completed because of an internal error. Initiate a new job.';

/** What the endpoint knows of a request when it picks a fault for it (see {@link FaultInjector.pick}). */
export interface FaultRequest {
  /** True for an InitiateJob of an archive retrieval with Tier `Expedited`. */
  expeditedRetrieval?: boolean;
}

/** One fault rule, as parsed from a SPEC rule `OP:RATE:KIND[:ARG]`. */
export interface FaultRule {
  /** API operation name, or `*` for every operation. */
  operation: string;
  /** Probability from 0 to 1 that a matching request is faulted. */
  rate: number;
  /** What happens to a faulted request. */
  kind: FaultKind;
  /** `slow`: delay in ms. `drop`: bytes before the connection is cut. `503`: `empty` for no body. `fail`: the job's StatusMessage. */
  arg?: number | string;
  /** Fire at most this many times (unlimited when absent). */
  times?: number;
}

/** Parses a fault SPEC (see the module documentation). Throws a `SyntaxError` naming the bad rule. */
export function parseFaultSpec(spec: string): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const raw of spec.split(',')) {
    const text = raw.trim();
    if (text === '') continue;
    const fields = text.split(':');
    // Only a `fail` message may hold colons: everything after KIND is its ARG.
    if (fields.length < 3 || (fields.length > 4 && fields[2] !== 'fail')) {
      throw new SyntaxError(`Bad fault rule "${text}": expected OP:RATE:KIND[:ARG], e.g. UploadMultipartPart:0.1:500.`);
    }
    const [operation, rateText, kindText] = fields as [string, string, string];
    const argText = fields.length > 3 ? fields.slice(3).join(':') : undefined;
    if (!/^(\*|[A-Za-z]+)$/.test(operation)) throw new SyntaxError(`Bad fault rule "${text}": OP must be an operation name or "*".`);
    const rateMatch = /^(\d+(?:\.\d+)?|\.\d+)(?:#(\d+))?$/.exec(rateText);
    const rate = rateMatch ? Number(rateMatch[1]) : NaN;
    if (!rateMatch || !(rate >= 0 && rate <= 1)) {
      throw new SyntaxError(`Bad fault rule "${text}": RATE must be a number from 0 to 1, optionally followed by #N.`);
    }
    if (!(KINDS as readonly string[]).includes(kindText)) {
      throw new SyntaxError(`Bad fault rule "${text}": KIND must be one of ${KINDS.join(', ')}.`);
    }
    const kind = kindText as FaultKind;
    const rule: FaultRule = { operation, rate, kind };
    if (rateMatch[2] !== undefined) rule.times = Number(rateMatch[2]);
    if (argText !== undefined) {
      if (kind === '503') {
        if (argText !== 'empty' && argText !== 'json') throw new SyntaxError(`Bad fault rule "${text}": 503 takes ARG "empty" or "json".`);
        rule.arg = argText;
      } else if (kind === 'slow' || kind === 'drop') {
        if (!/^\d+$/.test(argText)) throw new SyntaxError(`Bad fault rule "${text}": ${kind} takes a whole number ARG.`);
        rule.arg = Number(argText);
      } else if (kind === 'fail') {
        if (argText.trim() === '') throw new SyntaxError(`Bad fault rule "${text}": fail takes a non-empty message as ARG (or none).`);
        rule.arg = argText;
      } else {
        throw new SyntaxError(`Bad fault rule "${text}": ${kind} takes no ARG.`);
      }
    }
    rules.push(rule);
  }
  return rules;
}

/** Formats rules back into SPEC syntax. */
export function formatFaultSpec(rules: readonly FaultRule[]): string {
  return rules
    .map((r) => `${r.operation}:${r.rate}${r.times !== undefined ? `#${r.times}` : ''}:${r.kind}${r.arg !== undefined ? `:${r.arg}` : ''}`)
    .join(',');
}

/** mulberry32: a small, fast, seedable PRNG returning numbers in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decides, rule by rule and with seeded randomness, which requests are faulted. */
export class FaultInjector {
  #rules: FaultRule[] = [];
  #fired: number[] = [];
  #random: () => number;

  /**
   * @param faults - A SPEC string or parsed rules; undefined for none.
   * @param seed - Seed of the random generator (default 1).
   */
  constructor(faults: string | readonly FaultRule[] | undefined, seed = 1) {
    this.#random = mulberry32(seed);
    this.set(faults);
  }

  /** Replaces the rules (validating them); undefined or empty clears them. */
  set(faults: string | readonly FaultRule[] | undefined): void {
    const rules = typeof faults === 'string' ? parseFaultSpec(faults) : (faults ?? []).map((r) => ({ ...r }));
    for (const r of rules) {
      if (!(KINDS as readonly string[]).includes(r.kind)) throw new TypeError(`Unknown fault kind ${JSON.stringify(r.kind)}.`);
      if (!(r.rate >= 0 && r.rate <= 1)) throw new RangeError(`Fault rate must be from 0 to 1, got ${r.rate}.`);
    }
    this.#rules = rules;
    this.#fired = rules.map(() => 0);
  }

  /** The current rules. */
  get rules(): readonly FaultRule[] {
    return this.#rules;
  }

  /**
   * The fault to apply to one request of `operation`, if any. Rules whose kind
   * does not apply to the request (`corrupt` outside GetJobOutput, `fail`
   * outside InitiateJob, `capacity` for anything but an Expedited archive
   * retrieval) are passed by without drawing or counting.
   *
   * @param operation - The API operation name.
   * @param request - What is known of the request's parameters.
   */
  pick(operation: string, request: FaultRequest = {}): FaultRule | undefined {
    for (let i = 0; i < this.#rules.length; i++) {
      const rule = this.#rules[i]!;
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      if (rule.kind === 'corrupt' && operation !== 'GetJobOutput') continue;
      if (rule.kind === 'fail' && operation !== 'InitiateJob') continue;
      if (rule.kind === 'diskfull' && /^(Describe|List|Get)/.test(operation)) continue;
      if (rule.kind === 'capacity' && (operation !== 'InitiateJob' || request.expeditedRetrieval !== true)) continue;
      if (rule.times !== undefined && this.#fired[i]! >= rule.times) continue;
      if (rule.rate > 0 && this.#random() < rule.rate) {
        this.#fired[i]!++;
        return rule;
      }
    }
    return undefined;
  }
}
