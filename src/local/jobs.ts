/**
 * Jobs: InitiateJob (archive and inventory retrieval), DescribeJob, ListJobs
 * and GetJobOutput.
 *
 * A job completes when the endpoint clock passes its creation time plus the
 * configured delay for its tier (or for inventories). Its output stays
 * available for 24 hours after completion, then the job is gone (404). A job
 * created under the `fail` fault completes `Failed` instead, with no output.
 *
 * @module
 */
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isMegabyteAligned, isTreeHashAligned } from '../transfer/tree-hash.js';
import { JOB_OUTPUT_TTL_MS, type Backend, type JobDelays } from './backend.js';
import { HOUR_MS, isoDate } from './clock.js';
import { invalidParameter, missingParameter, notFound, policyEnforced, ServiceError } from './errors.js';
import { DEFAULT_JOB_FAILURE } from './faults.js';
import { checkDescription, encodeMarker, header, jsonBody, listMarker, parseLimit, sendEmpty, sendJson, sortableNumber, type RequestContext } from './http.js';
import { newJobId } from './ids.js';
import { parseIsoDate, writeInventory } from './inventory.js';
import { validateSnsTopic } from './settings.js';
import type { InventoryParams, JobRecord, VaultRecord } from './state.js';

const TIERS = ['Expedited', 'Standard', 'Bulk'] as const;

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(`${name} must be a string.`);
  return v;
}

function jobNotFound(id: string): ServiceError {
  return notFound(`The job ID was not found: ${id}`);
}

/** The job; 404 when there is none, or its output expired (24 h after completion). */
function findJob(b: Backend, vault: VaultRecord, id: string): JobRecord {
  const job = b.store.job(vault.name, id);
  if (!job || b.now() >= job.completesAt + JOB_OUTPUT_TTL_MS) throw jobNotFound(id);
  return job;
}

/** Refuses job parameters that do not belong to the job type. */
function refuseFields(body: Record<string, unknown>, names: readonly string[], type: string): void {
  for (const name of names) {
    if (body[name] !== undefined && body[name] !== null) throw invalidParameter(`${name} is not valid for an ${type} job.`);
  }
}

/** The SNS topic a job notifies: its own, else the vault's when it subscribes to the event. */
function topicFor(vault: VaultRecord, jobTopic: string | undefined, event: string): string | null {
  if (jobTopic !== undefined) return jobTopic;
  return vault.notifications?.Events.includes(event) ? vault.notifications.SNSTopic : null;
}

/** InitiateJob: POST /{accountId}/vaults/{vaultName}/jobs. */
export async function initiateJob(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const body = jsonBody(ctx);
  const type = optionalString(body, 'Type');
  if (type === undefined) throw missingParameter('Required parameter missing: Type');
  const description = optionalString(body, 'Description');
  if (description !== undefined) checkDescription(description, 'job description');
  const jobTopic = optionalString(body, 'SNSTopic');
  if (jobTopic !== undefined) validateSnsTopic(jobTopic);
  const now = b.now();
  const id = newJobId();
  let job: JobRecord;
  if (type === 'select') {
    throw invalidParameter('Select jobs (S3 Select on archives) are not supported by this endpoint. Use archive-retrieval or inventory-retrieval.');
  } else if (type === 'archive-retrieval') {
    refuseFields(body, ['Format', 'InventoryRetrievalParameters'], type);
    const archiveId = optionalString(body, 'ArchiveId');
    if (archiveId === undefined || archiveId === '') throw missingParameter('Required parameter missing: ArchiveId');
    const archive = b.store.archive(vault.name, archiveId);
    if (!archive || archive.deletedAt !== null) throw notFound(`Archive not found: ${archiveId}`);
    const tier = optionalString(body, 'Tier') ?? 'Standard';
    if (!(TIERS as readonly string[]).includes(tier)) throw invalidParameter(`Invalid tier: ${tier}. Valid tiers are Expedited, Standard and Bulk.`);
    const rangeText = optionalString(body, 'RetrievalByteRange');
    let range: [number, number] | null = null;
    if (rangeText !== undefined) {
      const m = /^(\d+)-(\d+)$/.exec(rangeText);
      const start = m ? Number(m[1]) : NaN;
      const end = m ? Number(m[2]) : NaN;
      if (!m || end >= archive.size || !isMegabyteAligned(start, end, archive.size)) {
        throw invalidParameter(
          `Invalid RetrievalByteRange: ${rangeText}. The range must lie within the archive (${archive.size} bytes), start on a megabyte boundary and end one byte before a megabyte boundary or at the end of the archive.`,
        );
      }
      range = [start, end];
    }
    const [start, end] = range ?? [0, archive.size - 1];
    const size = end - start + 1;
    const rule = b.store.dataRetrievalPolicy().Rules[0];
    if (tier === 'Standard' && rule?.Strategy === 'BytesPerHour' && rule.BytesPerHour !== undefined) {
      if (b.store.standardBytesSince(b.now() - HOUR_MS) + size > rule.BytesPerHour) {
        throw policyEnforced(`Retrieval of ${size} bytes would exceed the data retrieval policy limit of ${rule.BytesPerHour} bytes per hour.`);
      }
    }
    let treeHash: string | null = null;
    if (range === null) treeHash = archive.treeHash;
    else if (isTreeHashAligned(start, end, archive.size)) treeHash = await b.rangeTreeHash(archive.segments, start, end + 1);
    job = {
      id,
      action: 'ArchiveRetrieval',
      description: description ?? null,
      created: now,
      completesAt: now + b.jobDelayMs(tier as keyof JobDelays),
      tier,
      snsTopic: topicFor(vault, jobTopic, 'ArchiveRetrievalCompleted'),
      archiveId,
      archiveSize: archive.size,
      archiveTreeHash: archive.treeHash,
      range: [start, end],
      treeHash,
      output: { segments: archive.segments, offset: start, size, contentType: 'application/octet-stream', description: archive.description },
      inventory: null,
    };
  } else if (type === 'inventory-retrieval') {
    refuseFields(body, ['ArchiveId', 'RetrievalByteRange'], type);
    const format = optionalString(body, 'Format') ?? 'JSON';
    if (format !== 'JSON' && format !== 'CSV') throw invalidParameter(`Invalid format: ${format}. Valid formats are JSON and CSV.`);
    const params = inventoryParams(body.InventoryRetrievalParameters, format);
    const doc = await writeInventory(b, vault, params);
    if (!doc) throw notFound(`Inventory for vault ${b.vaultArn(vault.name)} is not available yet: the first inventory is taken about a day after the first upload.`);
    params.nextMarker = doc.nextMarker;
    job = {
      id,
      action: 'InventoryRetrieval',
      description: description ?? null,
      created: now,
      completesAt: now + b.jobDelayMs('inventory'),
      tier: null,
      snsTopic: topicFor(vault, jobTopic, 'InventoryRetrievalCompleted'),
      archiveId: null,
      archiveSize: null,
      archiveTreeHash: null,
      range: null,
      treeHash: null,
      output: {
        segments: [{ key: doc.key, size: doc.size }],
        offset: 0,
        size: doc.size,
        contentType: format === 'CSV' ? 'text/csv' : 'application/json',
        description: null,
      },
      inventory: params,
    };
  } else {
    throw invalidParameter(`Invalid job type: ${type}. Valid types are archive-retrieval, inventory-retrieval and select.`);
  }
  if (ctx.fault?.kind === 'fail') job.failure = typeof ctx.fault.arg === 'string' ? ctx.fault.arg : DEFAULT_JOB_FAILURE;
  // The vault or the archive may have gone while the job was being set up; a failed write leaves nothing.
  const finished = job;
  try {
    b.write(ctx, () => {
      if (!b.store.vault(vault.name)) throw notFound(`Vault not found for ARN: ${b.vaultArn(vault.name)}`);
      if (finished.archiveId !== null && b.store.archive(vault.name, finished.archiveId)?.deletedAt !== null) throw notFound(`Archive not found: ${finished.archiveId}`);
      b.store.insertJob(vault.name, finished);
    });
  } catch (err) {
    if (job.action === 'InventoryRetrieval') await b.release(job.output.segments.map((s) => s.key));
    throw err;
  }
  sendEmpty(ctx.res, 202, { Location: `${b.vaultPath(vault.name)}/jobs/${id}`, 'x-amz-job-id': id });
}

function inventoryParams(raw: unknown, format: 'JSON' | 'CSV'): InventoryParams {
  const params: InventoryParams = { format, startDate: null, endDate: null, limit: null, marker: null, nextMarker: null };
  if (raw === undefined || raw === null) return params;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidParameter('InventoryRetrievalParameters must be an object.');
  const p = raw as Record<string, unknown>;
  const start = optionalString(p, 'StartDate');
  const end = optionalString(p, 'EndDate');
  if (start !== undefined) {
    parseIsoDate(start, 'StartDate');
    params.startDate = start;
  }
  if (end !== undefined) {
    parseIsoDate(end, 'EndDate');
    params.endDate = end;
  }
  if (start !== undefined && end !== undefined && Date.parse(start) >= Date.parse(end)) {
    throw invalidParameter('The StartDate must be before the EndDate.');
  }
  const limit = p.Limit;
  if (limit !== undefined && limit !== null) {
    const text = String(limit);
    if (!/^\d+$/.test(text) || Number(text) < 1) throw invalidParameter(`Invalid Limit: ${text}. The limit must be a whole number of at least 1.`);
    params.limit = text;
  }
  const marker = optionalString(p, 'Marker');
  if (marker !== undefined) {
    if (!/^[A-Za-z0-9_-]+$/.test(marker)) throw invalidParameter(`Invalid Marker: ${marker}`);
    params.marker = marker;
  }
  return params;
}

/** A job's StatusCode: InProgress until it completes, then Succeeded, or Failed for a job made to fail. */
export function jobStatus(b: Backend, job: JobRecord): 'InProgress' | 'Succeeded' | 'Failed' {
  if (!b.isComplete(job)) return 'InProgress';
  return typeof job.failure === 'string' ? 'Failed' : 'Succeeded';
}

/** DescribeJob's JSON for a job (also the entries of ListJobs). */
export function describeJob(b: Backend, vault: VaultRecord, job: JobRecord): Record<string, unknown> {
  const status = jobStatus(b, job);
  const done = status !== 'InProgress';
  const succeeded = status === 'Succeeded';
  const archive = job.action === 'ArchiveRetrieval';
  return {
    Action: job.action,
    ArchiveId: job.archiveId,
    ArchiveSHA256TreeHash: job.archiveTreeHash,
    ArchiveSizeInBytes: job.archiveSize,
    Completed: done,
    CompletionDate: done ? isoDate(job.completesAt) : null,
    CreationDate: isoDate(job.created),
    InventoryRetrievalParameters: job.inventory
      ? {
          EndDate: job.inventory.endDate,
          Format: job.inventory.format,
          Limit: job.inventory.limit,
          Marker: succeeded ? job.inventory.nextMarker : null,
          StartDate: job.inventory.startDate,
        }
      : null,
    InventorySizeInBytes: !archive && succeeded ? job.output.size : null,
    JobDescription: job.description,
    JobId: job.id,
    RetrievalByteRange: job.range ? `${job.range[0]}-${job.range[1]}` : null,
    SHA256TreeHash: job.treeHash,
    SNSTopic: job.snsTopic,
    StatusCode: status,
    StatusMessage: status === 'Failed' ? job.failure : succeeded ? 'Succeeded' : null,
    Tier: job.tier,
    VaultARN: b.vaultArn(vault.name),
  };
}

/** DescribeJob: GET /{accountId}/vaults/{vaultName}/jobs/{jobId}. */
export async function describeJobOp(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  sendJson(ctx.res, 200, describeJob(b, vault, findJob(b, vault, ctx.params.jobId!)));
}

/** ListJobs: GET /{accountId}/vaults/{vaultName}/jobs, filters `completed` and `statuscode`, default limit 50. */
export async function listJobs(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const limit = parseLimit(ctx.query, 50);
  const completed = ctx.query.get('completed');
  if (completed !== null && completed !== 'true' && completed !== 'false') {
    throw invalidParameter(`Invalid completed value: ${completed}. Valid values are true and false.`);
  }
  const status = ctx.query.get('statuscode');
  if (status !== null && status !== 'InProgress' && status !== 'Succeeded' && status !== 'Failed') {
    throw invalidParameter(`Invalid statuscode: ${status}. Valid values are InProgress, Succeeded and Failed.`);
  }
  const now = b.now();
  const filter = { now, ...(completed !== null ? { completed: completed === 'true' } : {}), ...(status !== null ? { status: status as 'InProgress' | 'Succeeded' | 'Failed' } : {}) };
  const jobs = b.store.jobPage(vault.name, listMarker(ctx.query.get('marker')), now - JOB_OUTPUT_TTL_MS, filter, limit + 1);
  const page = jobs.slice(0, limit);
  const nextJob = jobs[limit];
  const next = nextJob === undefined ? null : encodeMarker(`${sortableNumber(nextJob.created)}|${nextJob.id}`);
  sendJson(ctx.res, 200, { JobList: page.map((j) => describeJob(b, vault, j)), Marker: next });
}

/** Parses a `Range: bytes=a-b` (also `a-` and `-n`) against `size`; undefined when unsatisfiable. */
function parseRange(text: string, size: number): [number, number] | undefined | 'invalid' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(text.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return undefined;
    return [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return undefined;
  return [start, end];
}

/** Counts bytes through a stream; flips one byte (`corrupt`) or cuts the connection (`drop`) at a position. */
class FaultingStream extends Transform {
  #seen = 0;
  /**
   * @param corruptAt - Offset of the byte to flip, or -1.
   * @param dropAt - Offset at which to stop and fail, or -1.
   */
  constructor(
    readonly corruptAt: number,
    readonly dropAt: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let out = chunk;
    const from = this.#seen;
    this.#seen += chunk.length;
    if (this.corruptAt >= from && this.corruptAt < this.#seen) {
      out = Buffer.from(chunk);
      out[this.corruptAt - from] = out[this.corruptAt - from]! ^ 0xff;
    }
    if (this.dropAt >= 0 && this.#seen >= this.dropAt) {
      const keep = out.subarray(0, Math.max(0, this.dropAt - from));
      if (keep.length > 0) this.push(keep);
      done(new Error('Injected fault: connection dropped.'));
      return;
    }
    done(null, out);
  }
}

/** GetJobOutput: GET /{accountId}/vaults/{vaultName}/jobs/{jobId}/output, whole or `Range: bytes=a-b`. */
export async function getJobOutput(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const job = findJob(b, vault, ctx.params.jobId!);
  // Like Glacier, the same answer for a job still in progress and for one that failed.
  if (jobStatus(b, job) !== 'Succeeded') throw invalidParameter(`The job is not currently available for download: ${job.id}`);
  const total = job.output.size;
  const rangeText = header(ctx.req, 'range');
  let start = 0;
  let end = total - 1;
  let partial = false;
  if (rangeText !== undefined && rangeText !== '') {
    const r = parseRange(rangeText, total);
    if (r === 'invalid') throw invalidParameter(`Invalid Range: ${rangeText}. Expected "bytes=START-END".`);
    if (r === undefined) {
      const err = new ServiceError(416, 'InvalidParameterValueException', `The requested range is not satisfiable: ${rangeText} (the output holds ${total} bytes).`);
      throw Object.assign(err, { headers: { 'Content-Range': `bytes */${total}` } });
    }
    [start, end] = r;
    partial = true;
  }
  const headers: Record<string, string | number> = {
    'Content-Type': job.output.contentType,
    'Content-Length': end - start + 1,
    'Accept-Ranges': 'bytes',
  };
  if (job.action === 'ArchiveRetrieval') {
    headers['x-amz-archive-description'] = job.output.description ?? '';
    if (job.treeHash !== null) {
      if (start === 0 && end === total - 1) headers['x-amz-sha256-tree-hash'] = job.treeHash;
      else if (isTreeHashAligned(start, end, total)) {
        headers['x-amz-sha256-tree-hash'] = await b.rangeTreeHash(job.output.segments, job.output.offset + start, job.output.offset + end + 1);
      }
    }
  }
  if (partial) headers['Content-Range'] = `bytes ${start}-${end}/${total}`;
  const length = end - start + 1;
  const fault = ctx.fault;
  const dropAt = fault?.kind === 'drop' ? Math.min(length - 1, typeof fault.arg === 'number' ? fault.arg : Math.floor(length / 2)) : -1;
  const corruptAt = fault?.kind === 'corrupt' ? Math.floor(length / 2) : -1;
  ctx.res.writeHead(partial ? 206 : 200, headers);
  const source = b.readSegments(job.output.segments, job.output.offset + start, job.output.offset + end + 1);
  try {
    if (dropAt >= 0 || corruptAt >= 0) await pipeline(source, new FaultingStream(corruptAt, dropAt), ctx.res);
    else await pipeline(source, ctx.res);
  } catch {
    ctx.res.destroy();
    ctx.req.socket?.destroy();
  }
}
