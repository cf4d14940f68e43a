/**
 * Logging through pino: one root logger per daemon, child loggers per session and message
 * carrying `sessionId` / `messageId`. Serializers keep message bodies and AUTH secrets out of
 * every line (only listed fields are logged for clients).
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export const silentLogger: Logger = pino({ enabled: false });

export function createLogger(options: { level?: string; pretty?: boolean; destination?: number | string } = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'mailtrail' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['password', '*.password', 'auth.password', 'body', '*.body'], remove: true },
  };
  return pino(config, pino.destination({ dest: options.destination ?? 1, sync: false }));
}
