import { DateTime } from 'luxon';

/** A cell: text, a number, or nothing (shown as `-`). */
export type Cell = string | number | boolean | null | undefined;

/**
 * Columns that line up, kubectl style: an upper-case header row, two spaces between columns,
 * no trailing spaces, `-` for an empty cell.
 */
export function formatTable(headers: string[], rows: Cell[][], options: { indent?: string } = {}): string {
  const indent = options.indent ?? '';
  const text = [headers, ...rows.map((row) => row.map(cellText))];
  const widths = headers.map((_, i) => Math.max(...text.map((row) => displayWidth(row[i] ?? ''))));
  return text
    .map((row) =>
      (
        indent +
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - displayWidth(cell))))
          .join('  ')
      ).trimEnd(),
    )
    .join('\n');
}

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return '-';
  if (typeof cell === 'boolean') return cell ? 'yes' : 'no';
  return String(cell).replace(/\s*\n\s*/g, ' ');
}

/** Characters on screen (astral symbols count once; no East-Asian wide handling). */
function displayWidth(text: string): number {
  return [...text].length;
}

/** Key/value lines with the values lined up: `  schedule:   every day`. Empty values are left out. */
export function formatFields(fields: [string, Cell][], indent = '  '): string {
  const shown = fields.filter(([, v]) => v !== null && v !== undefined && v !== '');
  const width = Math.max(0, ...shown.map(([k]) => k.length + 1));
  return shown.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}  ${cellText(v)}`).join('\n');
}

function toDateTime(value: string | Date | number, zone: string): DateTime {
  const dt =
    value instanceof Date
      ? DateTime.fromJSDate(value)
      : typeof value === 'number'
        ? DateTime.fromMillis(value)
        : DateTime.fromISO(value, { setZone: true });
  const zoned = dt.setZone(zone || 'UTC');
  return (zoned.isValid ? zoned : dt.setZone('UTC')).setLocale('en-US');
}

/** An instant in a zone, to the second, with the zone's abbreviation: `2026-04-25 02:00:05 PDT`. */
export function formatInstant(value: string | Date | number | null | undefined, zone = 'UTC'): string {
  if (value === null || value === undefined || value === '') return '-';
  const dt = toDateTime(value, zone);
  if (!dt.isValid) return String(value);
  return dt.toFormat('yyyy-MM-dd HH:mm:ss ZZZZ');
}

/**
 * A logical date as the DAG's zone sees it: the day alone when it is midnight there
 * (`2026-04-25` for a daily DAG), else to the minute with the zone (`2026-04-25 14:00 PDT`).
 */
export function formatLogicalDate(value: string | Date | number | null | undefined, zone = 'UTC'): string {
  if (value === null || value === undefined || value === '') return '-';
  const dt = toDateTime(value, zone);
  if (!dt.isValid) return String(value);
  if (dt.hour === 0 && dt.minute === 0 && dt.second === 0 && dt.millisecond === 0)
    return dt.toFormat('yyyy-MM-dd');
  return dt.toFormat('yyyy-MM-dd HH:mm ZZZZ');
}

/** The end of a range: the day alone when it is that day's last millisecond (how the API stores `--to 2026-04-25`). */
export function formatRangeEnd(value: string | Date | number | null | undefined, zone = 'UTC'): string {
  if (value === null || value === undefined || value === '') return '-';
  const dt = toDateTime(value, zone);
  if (!dt.isValid) return String(value);
  const next = dt.plus({ milliseconds: 1 });
  if (next.hour === 0 && next.minute === 0 && next.second === 0 && next.millisecond === 0)
    return dt.toFormat('yyyy-MM-dd');
  return formatLogicalDate(value, zone);
}

/** `450ms`, `12s`, `3m 05s`, `2h 03m`, `3d 4h`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const abs = Math.max(0, Math.round(ms));
  if (abs < 1000) return `${abs}ms`;
  const seconds = Math.floor(abs / 1000);
  if (seconds < 60) return abs < 10_000 ? `${(abs / 1000).toFixed(1)}s` : `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** How long between two instants; up to `now` when it has not ended. */
export function durationBetween(
  start: string | Date | null | undefined,
  end: string | Date | null | undefined,
  now: Date = new Date(),
): string {
  if (!start) return '-';
  const from = new Date(start).getTime();
  const to = end ? new Date(end).getTime() : now.getTime();
  return formatDuration(to - from);
}

/** `1 run`, `3 runs`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Cuts long text for a table cell. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** `[##########....................]` for a fraction from 0 to 1. */
export function progressBar(fraction: number, width = 30): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** The one JSON document a `--json` command prints. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * Draws a progress line on stderr: redrawn in place on a terminal, else (CI, a pipe) one line
 * each time the fraction crosses another 10%, and always the final line.
 */
export class ProgressLine {
  private lastPrintedPercent = -1;
  private drawnWidth = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly interactive: boolean,
  ) {}

  update(line: string, fraction: number): void {
    if (this.interactive) {
      const padding = Math.max(0, this.drawnWidth - displayWidth(line));
      this.write(`\r${line}${' '.repeat(padding)}`);
      this.drawnWidth = displayWidth(line);
      return;
    }
    const percent = Math.floor(Math.min(1, Math.max(0, fraction)) * 100);
    if (this.lastPrintedPercent < 0 || percent >= Math.floor(this.lastPrintedPercent / 10) * 10 + 10) {
      this.lastPrintedPercent = percent;
      this.write(`${line}\n`);
    }
  }

  /** The last line, always shown, and the cursor moved to a fresh line. */
  finish(line: string): void {
    if (this.interactive) {
      this.update(line, 1);
      this.write('\n');
    } else {
      this.write(`${line}\n`);
    }
    this.lastPrintedPercent = 100;
  }
}
