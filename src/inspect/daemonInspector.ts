/**
 * `run --inspect[=PORT]` in the daemon: an InspectorRelay on 127.0.0.1:PORT and one
 * InspectorClient (the daemon's reporter, with the relay's token) whose `inspect` observer the
 * queue and the edge give to every message and session actor. `start()` listens (a port in
 * use is an error), announces the relay in the data directory and connects; `stop()` undoes it.
 */
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { silentLogger } from '../logging/logger.js';
import { removeAnnouncement, writeAnnouncement } from './announcement.js';
import { InspectorClient } from './inspectorClient.js';
import { DEFAULT_INSPECT_PORT, InspectorRelay, type RelayAddress } from './inspectorRelay.js';
import type { AddressMode } from './sanitize.js';

export interface InspectOptions {
  /** Default 8080; 0 for a free port. */
  readonly port?: number;
  readonly addresses?: AddressMode;
}

export class DaemonInspector {
  readonly relay: InspectorRelay;
  readonly client: InspectorClient;
  readonly inspect: (event: InspectionEvent) => void;
  private readonly dataDir: string;
  private readonly logger: Logger;

  constructor(options: InspectOptions & { dataDir: string; logger?: Logger }) {
    this.logger = options.logger ?? silentLogger;
    this.dataDir = options.dataDir;
    this.relay = new InspectorRelay({ port: options.port ?? DEFAULT_INSPECT_PORT, logger: this.logger });
    this.client = new InspectorClient({
      addresses: options.addresses ?? 'mask',
      namespace: 'daemon:',
      logger: this.logger,
    });
    this.inspect = this.client.inspect;
  }

  async start(): Promise<RelayAddress> {
    const address = await this.relay.start();
    try {
      writeAnnouncement(this.dataDir, { port: address.port, token: this.relay.token, pid: process.pid });
    } catch (err) {
      this.logger.warn(
        { err },
        'inspector: could not announce the relay in the data directory (mailtrail inspect will start its own)',
      );
    }
    this.client.connect(address.reporterUrl);
    return address;
  }

  async stop(): Promise<void> {
    await this.client.close();
    await this.relay.stop();
    removeAnnouncement(this.dataDir, this.relay.token);
  }
}
