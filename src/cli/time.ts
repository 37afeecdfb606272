import { InvalidArgumentError } from 'commander';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time on the command line: an ISO 8601 date or date-time (`2026-12-01`, `2026-12-01T12:00:00Z`), or a
 * duration back from now (`30m`, `24h`, `7d`). Anything else is a usage error (exit 2).
 */
export function parseTimeFlag(name: string, now: () => Date = () => new Date()) {
  return (value: string): Date => {
    const rel = /^(\d+(?:\.\d+)?)([mhd])$/u.exec(value.trim());
    if (rel) return new Date(now().getTime() - Number(rel[1]) * UNITS[rel[2]!]!);
    if (/^\d{4}-\d{2}-\d{2}/u.test(value.trim())) {
      const t = Date.parse(value.trim());
      if (Number.isFinite(t)) return new Date(t);
    }
    throw new InvalidArgumentError(`${name} must be an ISO date or time (2026-12-01, 2026-12-01T12:00:00Z) or a duration back from now (30m, 24h, 7d), got '${value}'`);
  };
}
