import { DateTime, IANAZone } from 'luxon';
import { closestMatch } from '../text/suggest';

const zones = new Map<string, IANAZone>();

function zone(name: string): IANAZone {
  let z = zones.get(name);
  if (!z) {
    z = IANAZone.create(name);
    zones.set(name, z);
  }
  return z;
}

export function isValidTimezone(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && IANAZone.isValidZone(name);
}

/** Renamed zones that Node 20's ICU still lists only under their old names. */
const CURRENT_ZONE_NAMES = [
  'Asia/Kolkata',
  'Europe/Kyiv',
  'America/Nuuk',
  'Asia/Ho_Chi_Minh',
  'Asia/Kathmandu',
  'Asia/Yangon',
];

/** A sentence that names the bad zone and how to fix it, or null when the zone is valid. */
export function timezoneProblem(name: string): string | null {
  if (isValidTimezone(name)) return null;
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const hint = closestMatch(String(name), [...known, ...CURRENT_ZONE_NAMES, 'UTC']);
  return (
    `unknown timezone '${name}': use an IANA zone name` +
    (hint ? ` (did you mean '${hint}'?)` : " such as 'America/Los_Angeles', 'Europe/London' or 'UTC'")
  );
}

/** UTC offset in minutes of `zoneName` at the instant `epochMs`. */
export function offsetMinutesAt(zoneName: string, epochMs: number): number {
  return zone(zoneName).offset(epochMs);
}

/** ISO 8601 local time with offset, e.g. 2026-03-08T03:00:00-07:00. */
export function formatInZone(epochMs: number, zoneName: string): string {
  return DateTime.fromMillis(epochMs, { zone: zoneName }).toISO({ suppressMilliseconds: true }) as string;
}

/** UTC ISO string ending in Z, without milliseconds when they are zero. */
export function formatUtc(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** "UTC-08:00" style label for an offset in minutes. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
