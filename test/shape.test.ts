/**
 * The shape of the source tree: small files, imports that run down the
 * layers only, and no import circle among the resources (type-only imports
 * are erased at compile time and do not count).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The files a module imports at run time (not `import type`, nor `export type`). */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gms)) {
    if (m[2]) continue;
    found.push(resolve(dirname(file), m[3]!.replace(/\.js$/, '.ts')));
  }
  return found;
}

/** Long files being split in other work, not yet in this tree (none now). */
const NOT_YET_SPLIT = new Set<string>();

describe('source shape', () => {
  const files = sourceFiles(SRC);

  it('has no file over 400 lines', () => {
    const long = files
      .map((file) => ({ file: relative(SRC, file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
      .filter(({ file, lines }) => lines > 400 && !NOT_YET_SPLIT.has(file));
    expect(long).toEqual([]);
  });

  it('has no import from src/waiters or src/collections into src/resources', () => {
    const upward = files
      .filter((file) => /[/\\](waiters|collections)[/\\]/.test(file))
      .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => `${relative(SRC, file)} -> ${m[1]}`))
      .filter((edge) => edge.includes('/resources/'));
    expect(upward).toEqual([]);
  });

  it('has no import circle among the resource files', () => {
    const resources = files.filter((file) => relative(SRC, file).startsWith('resources'));
    const edges = new Map(resources.map((file) => [file, valueImports(file).filter((to) => resources.includes(to))]));
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const to of edges.get(file) ?? []) visit(to, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of resources) visit(file, []);
    expect(circles).toEqual([]);
  });
});
