/**
 * Where mailtrail is installed and what version it is, found by walking up from this file to
 * the package.json named "mailtrail" (works from src/ under tsx and from dist/src/ alike).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (
      existsSync(candidate) &&
      (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'mailtrail'
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the mailtrail package.json');
    dir = parent;
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
