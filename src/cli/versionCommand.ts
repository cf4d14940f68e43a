/** `mailtrail version`: the package version and the machine versions it writes. */
import { MESSAGE_MACHINE_VERSION } from '../../machines/message.machine.js';
import { SMTP_SESSION_MACHINE_VERSION } from '../../machines/smtpSession.machine.js';
import { packageVersion } from '../packageInfo.js';

export async function run(): Promise<number> {
  process.stdout.write(
    `mailtrail ${packageVersion()} (message machine v${MESSAGE_MACHINE_VERSION}, smtpSession machine v${SMTP_SESSION_MACHINE_VERSION})\n`,
  );
  return 0;
}
