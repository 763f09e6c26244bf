// The one timestamp grammar of every input: RFC 3339 `date-time` (§5.6), read strictly and checked
// against the calendar, so a value the read stores cannot hold is refused at the door rather than sealed
// into the log and refused later by PostgreSQL (Feb 30 rolled over by Date.parse, year 0000, +16:00).
//
// - `YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|±hh:mm)`; uppercase `T` and `Z` only (§5.6 allows lowercase; one
//   spelling is enough), no leap second (`:60`: PostgreSQL and JavaScript disagree on what it means).
// - A real calendar date (Feb 29 only in leap years), hour 00-23, minute and second 00-59.
// - Offsets up to ±15:59, PostgreSQL's limit (real zones span -12:00..+14:00); `-00:00` means UTC.
// - The instant, with its fraction rounded to microseconds as PostgreSQL stores it, is returned as whole
//   seconds since the epoch so callers can range-check it exactly (years 0001-9999 in UTC by default).

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const isLeapYear = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil; valid for any year). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** Seconds since the epoch at the start of January 1 of `year`, UTC. */
export const yearStartSeconds = (year: number): number => daysFromCivil(year, 1, 1) * 86_400;

/**
 * The instant a strict RFC 3339 date-time names, in whole seconds since 1970-01-01T00:00:00Z (its fraction
 * rounded to microseconds first, so 23:59:59.9999999 counts as the next second), or undefined when the
 * text is not one.
 */
export function rfc3339Seconds(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1) return undefined;
  if (day > (month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1]!)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 15 || om > 59) return undefined;
    offset = (m[8] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const micros = m[7] === undefined ? 0 : Math.round(Number(m[7].padEnd(9, '0')) / 1000);
  return daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset + (micros === 1_000_000 ? 1 : 0);
}
