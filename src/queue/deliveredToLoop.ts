/**
 * The `Delivered-To:` loop check before delivery, as Postfix's local(8): a message whose
 * header block already carries `Delivered-To: <recipient>` has been delivered to that address
 * once and came back (a forward or a route that points home). Delivering it again would loop,
 * so the recipient fails for good with 5.4.6 "mail forwarding loop for <recipient>".
 */

/** Every `Delivered-To:` address in the header block, unfolded and lower-cased. */
export function deliveredTo(headerBlock: string): Set<string> {
  const out = new Set<string>();
  for (const line of headerBlock.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const m = /^delivered-to[ \t]*:(.*)$/i.exec(line);
    const value = m?.[1]
      ?.trim()
      .replace(/^<(.*)>$/, '$1')
      .toLowerCase();
    if (value) out.add(value);
  }
  return out;
}

/** The recipients that the header block shows as delivered to already. */
export function loopingRecipients(headerBlock: string, recipients: readonly string[]): string[] {
  const seen = deliveredTo(headerBlock);
  return seen.size ? recipients.filter((r) => seen.has(r.toLowerCase())) : [];
}

export const forwardingLoop = (recipient: string): string => `mail forwarding loop for ${recipient}`;
