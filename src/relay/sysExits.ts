/**
 * Maps a delivery agent's exit status (sendmail's <sysexits.h>, 64..78) to an RFC 3463
 * enhanced status, row for row as Postfix's global/sys_exits.c: e.g. EX_NOUSER 67 → 5.1.1,
 * EX_OSERR 71 and EX_TEMPFAIL 75 → 4.3.0, EX_CANTCREAT 73 → 5.2.0, EX_CONFIG 78 → 5.3.5.
 * The first digit decides: 4 transient, 5 permanent. A code outside the table is
 * permanent 5.3.0 "unknown mail system error N", as Postfix's sys_exits_fake(). Exit 0
 * (success) is not a row: the caller handles it before asking this table.
 */

export interface SysExit {
  readonly code: number;
  readonly name: string;
  readonly status: string;
  readonly text: string;
}

/** The table of sys_exits.c, in code order (EX__BASE 64 to EX__MAX 78). */
export const SYS_EXITS: readonly SysExit[] = Object.freeze(
  [
    { code: 64, name: 'EX_USAGE', status: '5.3.0', text: 'command line usage error' },
    { code: 65, name: 'EX_DATAERR', status: '5.6.0', text: 'data format error' },
    { code: 66, name: 'EX_NOINPUT', status: '5.3.0', text: 'cannot open input' },
    { code: 67, name: 'EX_NOUSER', status: '5.1.1', text: 'user unknown' },
    { code: 68, name: 'EX_NOHOST', status: '5.1.2', text: 'host name unknown' },
    { code: 69, name: 'EX_UNAVAILABLE', status: '5.3.0', text: 'service unavailable' },
    { code: 70, name: 'EX_SOFTWARE', status: '5.3.0', text: 'internal software error' },
    { code: 71, name: 'EX_OSERR', status: '4.3.0', text: 'system resource problem' },
    { code: 72, name: 'EX_OSFILE', status: '5.3.0', text: 'critical OS file missing' },
    { code: 73, name: 'EX_CANTCREAT', status: '5.2.0', text: "can't create user output file" },
    { code: 74, name: 'EX_IOERR', status: '5.3.0', text: 'input/output error' },
    { code: 75, name: 'EX_TEMPFAIL', status: '4.3.0', text: 'temporary failure' },
    { code: 76, name: 'EX_PROTOCOL', status: '5.5.0', text: 'remote error in protocol' },
    { code: 77, name: 'EX_NOPERM', status: '5.7.0', text: 'permission denied' },
    { code: 78, name: 'EX_CONFIG', status: '5.3.5', text: 'local configuration error' },
  ].map((row) => Object.freeze(row)),
);

/** The status of an exit code outside the table (sys_exits.c's default entry). */
export const UNKNOWN_EXIT_STATUS = '5.3.0';

export type SysExitOutcome = { outcome: 'transient' | 'permanent'; status: string; text: string };

/** The status, outcome and text for a delivery agent's non-zero exit code. */
export function sysExitStatus(code: number): SysExitOutcome {
  const row = SYS_EXITS.find((entry) => entry.code === code);
  const status = row?.status ?? UNKNOWN_EXIT_STATUS;
  const text = row?.text ?? `unknown mail system error ${code}`;
  return { outcome: status.startsWith('4') ? 'transient' : 'permanent', status, text };
}
