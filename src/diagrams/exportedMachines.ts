/**
 * The machines `mailtrail machines export` writes, by the name used for their files
 * (`message.<ext>`, `smtpSession.<ext>`) and for the streams' `metadata.machine`, with the
 * version stored in each stream. A history's kind (message / session) picks its machine here.
 */
import type { AnyStateMachine } from 'xstate';
import { messageMachine, MESSAGE_MACHINE_VERSION } from '../../machines/message.machine.js';
import { smtpSessionMachine, SMTP_SESSION_MACHINE_VERSION } from '../../machines/smtpSession.machine.js';

export interface ExportedMachine {
  readonly name: 'message' | 'smtpSession';
  readonly machine: AnyStateMachine;
  readonly version: number;
}

export const exportedMachines: readonly ExportedMachine[] = [
  { name: 'message', machine: messageMachine, version: MESSAGE_MACHINE_VERSION },
  { name: 'smtpSession', machine: smtpSessionMachine, version: SMTP_SESSION_MACHINE_VERSION },
];

export function machineForHistory(kind: 'message' | 'session'): ExportedMachine {
  const wanted = kind === 'message' ? 'message' : 'smtpSession';
  return exportedMachines.find((m) => m.name === wanted)!;
}
