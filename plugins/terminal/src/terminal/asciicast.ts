/**
 * asciicast v2 (the asciinema recording format the terminal backend stores):
 * a JSON header line, then one JSON array per event, `[time, code, data]`,
 * time in seconds since the start. Codes: `o` output, `i` input, `r` resize
 * (`"COLSxROWS"`), `m` marker. See https://docs.asciinema.org/manual/asciicast/v2/.
 */

export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  timestamp?: number;
  duration?: number;
  idle_time_limit?: number;
  title?: string;
  env?: Record<string, string>;
}

export interface AsciicastEvent {
  /** Seconds since the start, after idle compression. */
  time: number;
  code: 'o' | 'i' | 'r' | 'm' | string;
  data: string;
}

export interface Asciicast {
  header: AsciicastHeader;
  events: AsciicastEvent[];
  /** Seconds from the start to the last event. */
  duration: number;
}

export class AsciicastParseError extends Error {
  constructor(message: string, readonly lineNumber: number) {
    super(`Recording line ${lineNumber}: ${message}`);
    this.name = 'AsciicastParseError';
  }
}

/**
 * Parses an asciicast v2 text. Gaps longer than `idleTimeLimit` (or the
 * header's `idle_time_limit`) are shortened to it, as asciinema's player does.
 * A truncated last line (a recording cut off mid-write) is ignored; any other
 * malformed line is an error.
 */
export function parseAsciicast(
  text: string,
  options?: { idleTimeLimit?: number },
): Asciicast {
  const lines = text.split('\n');
  let header: AsciicastHeader;
  try {
    header = JSON.parse(lines[0]);
  } catch {
    throw new AsciicastParseError('the header is not JSON', 1);
  }
  if (
    !header ||
    header.version !== 2 ||
    !Number.isFinite(header.width) ||
    !Number.isFinite(header.height)
  ) {
    throw new AsciicastParseError(
      'not an asciicast v2 header (version 2, width, height)',
      1,
    );
  }
  const idleLimit = options?.idleTimeLimit ?? header.idle_time_limit;
  const events: AsciicastEvent[] = [];
  let previousRaw = 0;
  let time = 0;
  const last = lines.length - 1;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (i === last || (i === last - 1 && lines[last].trim() === '')) break;
      throw new AsciicastParseError('the event is not JSON', i + 1);
    }
    if (
      !Array.isArray(parsed) ||
      parsed.length < 3 ||
      typeof parsed[0] !== 'number' ||
      typeof parsed[1] !== 'string' ||
      typeof parsed[2] !== 'string'
    ) {
      throw new AsciicastParseError('an event is [time, code, data]', i + 1);
    }
    const raw = Math.max(parsed[0], previousRaw);
    let gap = raw - previousRaw;
    if (idleLimit !== undefined && idleLimit > 0)
      gap = Math.min(gap, idleLimit);
    previousRaw = raw;
    time += gap;
    events.push({ time, code: parsed[1], data: parsed[2] });
  }
  return {
    header,
    events,
    duration: events.length > 0 ? events[events.length - 1].time : 0,
  };
}

/** `"120x40"` → { cols: 120, rows: 40 }, or undefined. */
export function parseSize(
  data: string,
): { cols: number; rows: number } | undefined {
  const match = /^(\d+)x(\d+)$/.exec(data.trim());
  if (!match) return undefined;
  const cols = Number(match[1]);
  const rows = Number(match[2]);
  return cols > 0 && rows > 0 ? { cols, rows } : undefined;
}

/** `mm:ss`, or `h:mm:ss` from an hour on. */
export function formatClock(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}
