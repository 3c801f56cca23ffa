import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { PROJECT_ROOT } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));

describe('the package', () => {
  it('reports the version package.json has', () => {
    expect(VERSION).toBe(pkg.version);
  });

  it('keeps to its runtime floor and the agreed dependencies', () => {
    expect(pkg.engines).toEqual({ node: '>=22.19' });
    // src/net/undici.ts loads undici's internal modules by path: a new undici is a deliberate change
    expect(pkg.dependencies.undici).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['p-limit', 'p-retry', 'undici']);
    expect(pkg.license).toBe('Apache-2.0');
    expect(pkg.type).toBe('module');
  });

  // The pure core (ids, parsing, rewrite rules, manifests) must not reach for the outside world;
  // I/O lives in the edge modules.
  it('keeps the pure core free of fs, network and process I/O', () => {
    const pure = ['snapshot/id.ts', 'snapshot/archives.ts', 'snapshot/document.ts', 'deb822/reader.ts', 'generate/generate.ts', 'generate/render.ts', 'apt/os-release.ts', 'cli/program.ts'];
    const optional = ['deb822/document.ts', 'sources', 'rewrite/classify.ts', 'net/retry.ts', 'net/proxy-env.ts', 'probe/release.ts', 'oci/reference.ts', 'oci/manifest.ts', 'oci/challenge.ts', 'update/packages-diff.ts', 'update/pins.ts', 'update/dockerfile.ts', 'snapshot/releases.ts'];
    const files = [...pure];
    for (const o of optional) {
      const full = join(PROJECT_ROOT, 'src', o);
      try {
        if (o.endsWith('.ts')) {
          readFileSync(full);
          files.push(o);
        } else {
          for (const f of readdirSync(full)) if (f.endsWith('.ts')) files.push(`${o}/${f}`);
        }
      } catch {
        // not written (yet)
      }
    }
    for (const f of files) {
      const text = readFileSync(join(PROJECT_ROOT, 'src', f), 'utf8');
      const imports = [...text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      expect({ file: f, io: imports.filter((i) => /^(node:(fs|net|http|https|child_process|dns|tls)|undici|fs|http)/.test(i!)) }).toEqual({ file: f, io: [] });
    }
  });

  // undici costs 15 MB and 20-30 ms of a start: only a proxy (or a server that speaks nothing but
  // HTTP/2) may load it, by a dynamic import in net/agent.ts
  it('keeps undici out of what the network commands load statically', () => {
    const staticImports = (file: string): string[] => {
      const text = readFileSync(join(PROJECT_ROOT, 'src', file), 'utf8');
      // `import type` is erased; `import { type X, y }` is not
      return [...text.matchAll(/^import (?!type )[^'"]*?from ['"]([^'"]+)['"]|^import ['"]([^'"]+)['"]/gm)].map((m) => (m[1] ?? m[2])!);
    };
    const reach = (entry: string): Set<string> => {
      const seen = new Set<string>();
      const walk = (file: string): void => {
        if (seen.has(file)) return;
        seen.add(file);
        for (const i of staticImports(file)) {
          if (i.startsWith('.')) walk(join(file, '..', i).replace(/\.js$/, '.ts'));
          else seen.add(i);
        }
      };
      walk(entry);
      return seen;
    };
    for (const entry of ['update/diff.ts', 'update/bump.ts', 'probe/probe-files.ts', 'probe/resolve.ts', 'serve/server.ts', 'lock/lock.ts']) {
      const loaded = [...reach(entry)];
      expect({ entry, undici: loaded.filter((m) => /undici/.test(m)) }).toEqual({ entry, undici: [] });
    }
  });
});
