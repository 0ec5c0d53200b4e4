import { z } from 'zod';

/** Identifiers and codes are ASCII so that stream names, URLs and sort orders stay unambiguous.
 *  Names, which people read, carry any letter (text.ts). */
export const Identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1–64 characters: letters, digits, "_", "." or "-"');

/** A calendar date, YYYY-MM-DD. */
export const CalendarDate = z.iso.date();
