/**
 * NewerMachineVersionError: a stored event was written by a newer version of its machine than
 * this program runs (`metadata.machineVersion`). Replaying it could fold the history into a
 * state that means something else, so replay refuses, naming the stream, the revision and
 * both versions; the operator runs the newer mailtrail (or restores the older log).
 */
import { InvariantError } from '../errors/mailtrailError.js';

export class NewerMachineVersionError extends InvariantError {
  constructor(
    readonly where: string,
    readonly machine: string,
    readonly stored: number,
    readonly known: number,
  ) {
    super(
      `${where}: written by ${machine} machine version ${stored}, this mailtrail knows up to version ${known}; run the newer mailtrail`,
      'ERR_MACHINE_VERSION',
    );
  }
}
