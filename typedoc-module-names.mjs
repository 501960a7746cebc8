// @ts-check
/**
 * TypeDoc plugin: names each entry point's module by the specifier users
 * import it with (`glacier-resource`, `glacier-resource/local`), read from
 * package.json `exports`, instead of its file name (`index`, `local`).
 */
import { readFileSync } from 'node:fs';
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
  /** @type {Map<string, string>} TypeDoc's default module name (the path under dist without /index) to the import specifier. */
  const names = new Map();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const types = typeof target === 'object' ? target.types : undefined;
    if (typeof types !== 'string') continue;
    const file = types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '');
    names.set(file === 'index' ? file : file.replace(/\/index$/, ''), pkg.name + subpath.slice(1));
  }
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getChildrenByKind(ReflectionKind.Module)) {
      const name = names.get(module.name);
      if (name) module.name = name;
    }
  });
}
