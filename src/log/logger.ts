/**
 * Logging through pino: one root logger per daemon, child loggers per session and message
 * carrying `sessionId` / `messageId`. Serializers keep message bodies and AUTH secrets out of
 * every line (only listed fields are logged for clients). `pretty: true` rewrites each JSON
 * line for a human (prettyStream.ts, no pino-pretty).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { prettyStream } from './prettyStream.js';

export type { Logger } from 'pino';

export const silentLogger: Logger = pino({ enabled: false });

export function createLogger(options: { level?: string; pretty?: boolean; destination?: number | string } = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'mailtrail' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'auth.password', 'body', '*.body'], remove: true },
  };
  const destination = pino.destination({ dest: options.destination ?? 1, sync: false });
  return pino(config, options.pretty ? prettyStream(destination) : destination);
}
