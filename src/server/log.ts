// One line per event on stderr. Never given a password or an Authorization header.
export type LogLevel = 'error' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { error: 0, info: 1, debug: 2 };

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (l: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[l] > RANK[level]) return;
    const parts = [new Date().toISOString(), l, msg];
    for (const [k, v] of Object.entries(fields ?? {})) if (v !== undefined) parts.push(`${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
    write(parts.join(' '));
  };
  return {
    error: (m, f) => emit('error', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
  };
}
