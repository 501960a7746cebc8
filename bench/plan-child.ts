/**
 * Run by bench/export.ts in a child process of its own, so that its peak
 * memory is the planning's alone: plans the export of an inventory file
 * (argv[2]) and prints one JSON line with the time, peak RSS and counts.
 */
import { createReadStream } from 'node:fs';
import { parseInventory } from '../src/transfer/inventory.js';
import { planExport } from '../src/export/plan.js';

const t0 = process.hrtime.bigint();
const plan = await planExport(parseInventory(createReadStream(process.argv[2]!), 'JSON'), { to: '/export/target', bytesPerDay: 500 * 2 ** 30 });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, archives: plan.archives, collisions: plan.collisionCount, undecodable: plan.undecodable }));
