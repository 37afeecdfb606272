import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stderr (stdout stays for command output). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'docqa' } }, pino.destination(2));
}
