import type { GlacierJobDescription } from '@aws-sdk/client-glacier';
import { describe, expect, it } from 'vitest';
import { Job } from '../../src/index.js';
import { hydrate } from '../../src/resources/base.js';
import { findReusableRetrieval } from '../../src/resources/retrieval-reuse.js';
import { mockedGlacier } from './mock-client.js';

const { client } = mockedGlacier();

function job(id: string, data: GlacierJobDescription): Job {
  return hydrate(new Job(client, '-', 'v', id), { JobId: id, Action: 'ArchiveRetrieval', ArchiveId: 'A', ArchiveSizeInBytes: 100, ...data });
}

async function* pages(...lists: Job[][]): AsyncGenerator<Job[]> {
  yield* lists;
}

describe('findReusableRetrieval', () => {
  it('prefers the newest Succeeded job of the same archive and range', async () => {
    const found = await findReusableRetrieval(
      pages(
        [job('old', { StatusCode: 'Succeeded', CreationDate: '2025-01-01T00:00:00Z' })],
        [job('new', { StatusCode: 'Succeeded', CreationDate: '2025-01-02T00:00:00Z' }), job('running', { StatusCode: 'InProgress', CreationDate: '2025-01-03T00:00:00Z' })],
      ),
      'A',
      { Type: 'archive-retrieval', ArchiveId: 'A' },
    );
    expect(found?.id).toBe('new');
  });

  it('treats a missing range and 0-(size-1) as the whole archive', async () => {
    const whole = job('whole', { StatusCode: 'Succeeded', RetrievalByteRange: '0-99' });
    expect((await findReusableRetrieval(pages([whole]), 'A', { ArchiveId: 'A' }))?.id).toBe('whole');
    const implicit = job('implicit', { StatusCode: 'Succeeded' });
    expect((await findReusableRetrieval(pages([implicit]), 'A', { ArchiveId: 'A', RetrievalByteRange: '0-99' }))?.id).toBe('implicit');
    expect(await findReusableRetrieval(pages([implicit]), 'A', { ArchiveId: 'A', RetrievalByteRange: '0-49' })).toBeUndefined();
  });

  it('never reuses Failed jobs, other archives, inventories, or in-progress jobs of another tier', async () => {
    const candidates = [
      job('failed', { StatusCode: 'Failed' }),
      job('other', { StatusCode: 'Succeeded', ArchiveId: 'B' }),
      job('inventory', { StatusCode: 'Succeeded', Action: 'InventoryRetrieval', ArchiveId: undefined }),
      job('bulk', { StatusCode: 'InProgress', Tier: 'Bulk' }),
    ];
    expect(await findReusableRetrieval(pages(candidates), 'A', { ArchiveId: 'A', Tier: 'Expedited' })).toBeUndefined();
    expect((await findReusableRetrieval(pages(candidates), 'A', { ArchiveId: 'A', Tier: 'Bulk' }))?.id).toBe('bulk');
    expect((await findReusableRetrieval(pages(candidates), 'A', { ArchiveId: 'A' }))?.id).toBe('bulk');
  });
});
