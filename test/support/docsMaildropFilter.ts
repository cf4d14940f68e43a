/**
 * The virtual-mailbox maildrop filter exactly as docs/relays.md prints it (the code block
 * after "`/etc/mailtrail/mailfilter`, owned by `vmail`"), with /var/vmail replaced by a
 * test's directory: the tests run the documented filter, not a copy of it.
 */
import { readFileSync } from 'node:fs';

export function docsMaildropFilter(vmail: string): string {
  const doc = readFileSync(new URL('../../docs/relays.md', import.meta.url), 'utf8');
  const at = doc.indexOf('`/etc/mailtrail/mailfilter`, owned by `vmail`');
  if (at < 0) throw new Error('docs/relays.md no longer shows the virtual-mailbox filter');
  const block = /```\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!block) throw new Error('docs/relays.md: no code block after the filter heading');
  return block[1]!.replaceAll('/var/vmail', vmail);
}
