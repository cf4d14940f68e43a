/**
 * Walks a zod schema and lists every key a configuration file may hold, as dotted paths
 * (`smtp.tls.implicit`). Keys that exist only in one branch of a discriminated union carry
 * that branch (`relay` + `type: lmtp`), so the documentation test can look for them in
 * the right section. A schema met twice (relay under routes) is walked once.
 */
import type { z } from 'zod';

export interface SchemaKey {
  readonly path: string;
  /** For keys of one branch: the union's path and the branch label, e.g. `type: lmtp`. */
  readonly variant?: { readonly parent: string; readonly label: string };
}

type AnySchema = z.core.$ZodType;
type Def = { type: string; [k: string]: unknown };

const def = (schema: AnySchema): Def => schema._zod.def as unknown as Def;
const join = (parent: string, key: string): string => (parent === '' ? key : `${parent}.${key}`);

export function schemaKeys(root: AnySchema, prefix = ''): SchemaKey[] {
  const keys: SchemaKey[] = [];
  const seen = new Set<AnySchema>();

  const walk = (schema: AnySchema, path: string, variant?: SchemaKey['variant'], skip?: string): void => {
    const d = def(schema);
    switch (d.type) {
      case 'optional':
      case 'default':
      case 'prefault':
      case 'nullable':
      case 'readonly':
      case 'catch':
        return walk(d.innerType as AnySchema, path, variant, skip);
      case 'pipe':
        return walk(d.in as AnySchema, path, variant, skip);
      case 'array':
        return walk(d.element as AnySchema, path, variant);
      case 'record':
        return walk(d.valueType as AnySchema, path, variant);
      case 'union': {
        if (seen.has(schema)) return;
        seen.add(schema);
        const discriminator = d.discriminator as string | undefined;
        for (const option of d.options as AnySchema[]) {
          if (discriminator === undefined) {
            walk(option, path, variant);
            continue;
          }
          const shape = def(option).shape as Record<string, AnySchema>;
          const value = (def(shape[discriminator]!).values as unknown[])[0];
          keys.push({ path: join(path, discriminator), ...(variant ? { variant } : {}) });
          walk(option, path, { parent: path, label: `${discriminator}: ${String(value)}` }, discriminator);
        }
        return;
      }
      case 'object':
        for (const [key, child] of Object.entries(d.shape as Record<string, AnySchema>)) {
          if (key === skip) continue;
          keys.push({ path: join(path, key), ...(variant ? { variant } : {}) });
          walk(child, join(path, key), variant);
        }
        return;
      default:
        return;
    }
  };
  walk(root, prefix);
  const unique = new Map(keys.map((k) => [`${k.variant?.parent ?? ''}|${k.variant?.label ?? ''}|${k.path}`, k]));
  return [...unique.values()];
}
