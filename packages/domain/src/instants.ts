import { z } from 'zod';

/** The ledger's civil time zone: Asia/Ho_Chi_Minh, UTC+7 all year (no daylight saving). */
export const LEDGER_UTC_OFFSET = '+07:00';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Reads an as-of instant given by a person or a script.
 * - `2024-01-31` means the end of that day in Asia/Ho_Chi_Minh: 2024-01-31T23:59:59.999+07:00.
 * - A date-time with `Z` or an offset is taken as it is.
 * - A date-time without an offset is read in Asia/Ho_Chi_Minh.
 * Returns epoch milliseconds, or undefined when the text is not such an instant.
 */
export function parseAsOf(text: string): number | undefined {
  let iso: string;
  if (DATE_ONLY.test(text)) iso = `${text}T23:59:59.999${LEDGER_UTC_OFFSET}`;
  else {
    const m = DATE_TIME.exec(text);
    if (!m) return undefined;
    iso = m[1] ? text : `${text}${LEDGER_UTC_OFFSET}`;
  }
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2023-02-30 over to March; a real date must survive the round trip.
  const day = iso.slice(0, 10);
  const local = new Date(ms + offsetMs(iso)).toISOString().slice(0, 10);
  return day === local ? ms : undefined;
}

function offsetMs(iso: string): number {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(iso);
  if (!m) return 0;
  const sign = m[1] === '-' ? -1 : 1;
  return sign * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}

export const AsOfSchema = z.string().transform((text, ctx) => {
  const ms = parseAsOf(text);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an ISO-8601 date (2024-01-31) or date-time (2024-01-31T10:00:00+07:00)',
    });
    return z.NEVER;
  }
  return ms;
});

/** The one format of an instant a writer may ask to be recorded at: ISO-8601, with seconds and an offset. */
const RECORDED_AT = z.iso.datetime({ offset: true });

/**
 * `value` as the ledger records instants (ISO-8601 in UTC with milliseconds), or undefined when it
 * is not a date-time the ledger takes. The door and every store adapter read recordedAt with it.
 */
export function toRecordedAt(value: unknown): string | undefined {
  return RECORDED_AT.safeParse(value).success ? new Date(value as string).toISOString() : undefined;
}

/** The calendar day (YYYY-MM-DD) of an instant in the ledger's civil time zone, Asia/Ho_Chi_Minh. */
export const ledgerDay = (ms: number): string => new Date(ms + 7 * 3_600_000).toISOString().slice(0, 10);
