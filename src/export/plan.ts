/**
 * Planning an export: which archives it takes (named and filtered exactly as
 * the export does), and what retrieving them costs, before anything is
 * changed. The export itself records its plan from the same generator,
 * {@link plannedArchives}, so a plan's counts are what the run then does.
 *
 * @module
 */
import picomatch from 'picomatch';
import type { Job } from '../resources/job.js';
import type { Vault } from '../resources/vault.js';
import type { InventoryArchive } from '../transfer/inventory.js';
import type { Tier } from '../validation.js';
import type { ExportOptions } from './export-vault.js';
import { newestInventoryJob } from './inventory-source.js';
import { autoNames, idNames, placeUnder, type ArchiveName, type ArchiveNamer, type AutoNamer, type DescriptionFormat, type NameCollision } from './names.js';

/** Retrieval prices of one tier, in US dollars. */
export interface TierPrice {
  /** Per GB retrieved (AWS's "GB" is 2^30 bytes). */
  perGB: number;
  /** Per 1,000 retrieval requests. */
  perThousandRequests: number;
}

/** A retrieval price table. */
export interface PriceTable {
  /** When the prices were read. */
  date: string;
  /** Where they come from. */
  source: string;
  /** Prices per tier. */
  tiers: Record<Tier, TierPrice>;
}

/**
 * Glacier's retrieval list prices in us-east-1 as AWS publishes them (the
 * knowledge-center article on retrieval costs: Expedited $0.03/GB and $10
 * per 1,000 requests, Standard $0.01/GB and $0.05, Bulk $0.0025/GB and
 * $0.025), read on the date given. Other Regions and later changes differ:
 * pass your own table to {@link planExport}.
 */
export const GLACIER_RETRIEVAL_PRICES: PriceTable = {
  date: '2026-12-05',
  source: 'AWS knowledge center, "manage data retrieval" (us-east-1 list prices)',
  tiers: {
    Expedited: { perGB: 0.03, perThousandRequests: 10 },
    Standard: { perGB: 0.01, perThousandRequests: 0.05 },
    Bulk: { perGB: 0.0025, perThousandRequests: 0.025 },
  },
};

/** AWS's typical completion time of a retrieval, in hours, per tier (the slow end). */
const TIER_HOURS: Record<Tier, number> = { Expedited: 5 / 60, Standard: 5, Bulk: 12 };

/** What an export would take, per tier. */
export interface TierEstimate {
  /** Retrieval requests (one per archive). */
  requests: number;
  /** GB retrieved (2^30 bytes, as AWS bills). */
  gb: number;
  /** Estimated cost in US dollars. */
  cost: number;
}

/** What {@link planExport} found. */
export interface ExportPlan {
  /** Archives in the inventory. */
  inventoryArchives: number;
  /** Archives the export takes, after the filters. */
  archives: number;
  /** Their bytes. */
  bytes: number;
  /** Requests, GB and cost per tier. */
  tiers: Record<Tier, TierEstimate>;
  /** The tier chosen (default Bulk). */
  tier: Tier;
  /** Expected duration in days: the daily budget's pace plus the tier's completion time. */
  expectedDays: number;
  /** How many names were taken and got a suffix. */
  collisionCount: number;
  /** The first of them (up to a thousand). */
  collisions: NameCollision[];
  /** Archives whose description did not decode (named by id). */
  undecodable: number;
  /** Archives per description format. */
  formats: Record<DescriptionFormat, number> | undefined;
  /** The price table used. */
  prices: PriceTable;
}

/** The namer that the `names` option asks for. */
export function namerFor(names: ExportOptions['names'] = 'auto'): ArchiveNamer {
  if (names === 'auto') return autoNames();
  if (names === 'id') return idNames();
  if (typeof names === 'function') return autoNames((a) => ({ path: names(a), format: 'plain' }));
  return names.namer();
}

/** An archive an export takes, and its name. */
export interface PlannedName {
  /** The inventory's record. */
  archive: InventoryArchive;
  /** Its file's name. */
  name: ArchiveName;
}

/**
 * The archives of an inventory that an export to `to` takes, with their
 * names, in inventory order: named by `options.names`, a name that would
 * leave `to` replaced by `unnamed/<archive id>`, then filtered by include,
 * exclude and filter.
 */
export async function* plannedArchives(
  inventory: AsyncIterable<InventoryArchive>,
  options: Pick<ExportOptions, 'names' | 'include' | 'exclude' | 'filter'>,
  to: string,
  namer: ArchiveNamer = namerFor(options.names),
): AsyncGenerator<PlannedName> {
  const included = options.include && options.include.length > 0 ? picomatch([...options.include], { dot: true }) : () => true;
  const excluded = options.exclude && options.exclude.length > 0 ? picomatch([...options.exclude], { dot: true }) : () => false;
  for await (const archive of inventory) {
    let name = namer.name(archive);
    if (placeUnder(to, name.path) === undefined) name = { path: `unnamed/${archive.archiveId}` };
    if (!included(name.path) || excluded(name.path) || (options.filter && !options.filter(archive, name))) continue;
    yield { archive, name };
  }
}

/** Passes an inventory through, counting its archives. */
export function countArchives(inventory: AsyncIterable<InventoryArchive>): { archives: AsyncIterable<InventoryArchive>; readonly count: number } {
  let count = 0;
  return {
    archives: (async function* () {
      for await (const a of inventory) {
        count++;
        yield a;
      }
    })(),
    get count() {
      return count;
    },
  };
}

/** Options of {@link planExport}. */
export interface PlanOptions extends Pick<ExportOptions, 'names' | 'include' | 'exclude' | 'filter' | 'tier' | 'bytesPerDay'> {
  /** The target directory (names that would leave it are replaced; default the current directory). */
  to?: string;
  /** Prices (default {@link GLACIER_RETRIEVAL_PRICES}). */
  prices?: PriceTable;
}

/** Plans an export from an inventory: changes nothing, reads the inventory once (streaming). */
export async function planExport(inventory: AsyncIterable<InventoryArchive>, options: PlanOptions = {}): Promise<ExportPlan> {
  const prices = options.prices ?? GLACIER_RETRIEVAL_PRICES;
  const namer = namerFor(options.names);
  const counter = countArchives(inventory);
  let archives = 0;
  let bytes = 0;
  for await (const { archive } of plannedArchives(counter.archives, options, options.to ?? process.cwd(), namer)) {
    archives++;
    bytes += archive.size;
  }
  const gb = bytes / 2 ** 30;
  const tiers = Object.fromEntries(
    (Object.keys(prices.tiers) as Tier[]).map((t) => {
      const p = prices.tiers[t];
      return [t, { requests: archives, gb, cost: gb * p.perGB + (archives / 1000) * p.perThousandRequests }];
    }),
  ) as Record<Tier, TierEstimate>;
  const tier = options.tier ?? 'Bulk';
  const paced = options.bytesPerDay ? bytes / options.bytesPerDay : 0;
  const auto = 'collisions' in namer ? (namer as AutoNamer) : undefined;
  return {
    inventoryArchives: counter.count,
    archives,
    bytes,
    tiers,
    tier,
    expectedDays: archives === 0 ? 0 : paced + TIER_HOURS[tier] / 24,
    collisionCount: auto?.collisionCount ?? 0,
    collisions: auto?.collisions ?? [],
    undecodable: auto?.undecodable ?? 0,
    formats: auto?.formats,
    prices,
  };
}

/** Options of {@link planVaultExport}. */
export interface VaultPlanOptions extends PlanOptions {
  /** The inventory job to plan from (default the vault's newest whole-vault one). */
  inventoryJobId?: string;
}

/** A vault's export plan, with the inventory job it comes from. */
export interface VaultExportPlan extends ExportPlan {
  /** The inventory job planned from. */
  inventoryJobId: string;
}

/** Plans the export of a vault from its newest whole-vault inventory (or `inventoryJobId`); the inventory job must have succeeded. */
export async function planVaultExport(vault: Vault, options: VaultPlanOptions = {}): Promise<VaultExportPlan> {
  const job: Job | undefined = options.inventoryJobId ? vault.Job(options.inventoryJobId) : await newestInventoryJob(vault);
  if (!job) throw new Error(`Vault ${vault.name} has no inventory yet: run the export (it requests one), or request one with glacier inventory ${vault.name}.`);
  await job.load();
  if (job.statusCode !== 'Succeeded') throw new Error(`Inventory job ${job.id} is ${job.statusCode ?? 'not ready'}; plan again once it has succeeded.`);
  return { ...(await planExport(job.inventory(), options)), inventoryJobId: job.id };
}
