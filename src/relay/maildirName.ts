/**
 * Unique Maildir file names, as cr.yp.to/proto/maildir.html gives them:
 * `<seconds>.M<microseconds>P<pid>Q<counter>.<host>`, where Q counts the deliveries this
 * process (here: this relay) has attempted and the host has '/' written as \057 and ':' as
 * \072. The same name serves for tmp/ and new/; a clash (EEXIST) just takes the next one.
 */

/** A wall-clock reading in whole seconds and the microseconds within that second. */
export type MaildirTime = { readonly sec: number; readonly usec: number };

/** The system clock, to the microsecond as far as performance.now() allows. */
export function systemMaildirTime(): MaildirTime {
  const ms = performance.timeOrigin + performance.now();
  const sec = Math.floor(ms / 1000);
  const usec = Math.min(999_999, Math.floor((ms - sec * 1000) * 1000));
  return { sec, usec };
}

/** The host part of a Maildir name: '/' → \057, ':' → \072. */
export function maildirHostPart(hostname: string): string {
  return hostname.replaceAll('/', '\\057').replaceAll(':', '\\072');
}

export function maildirFileName(time: MaildirTime, pid: number, counter: number, hostname: string): string {
  return `${time.sec}.M${time.usec}P${pid}Q${counter}.${maildirHostPart(hostname)}`;
}
