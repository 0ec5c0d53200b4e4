import { z } from 'zod';

/** Identifiers and codes are ASCII so that stream names, URLs and sort orders stay unambiguous.
 *  Names, which people read, carry any Unicode (Vietnamese diacritics included). */
export const Identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1–64 characters: letters, digits, "_", "." or "-"');

export const Name = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200)
  .transform((s) => s.normalize('NFC'));

export const Text = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(2000)
  .transform((s) => s.normalize('NFC'));

/** A calendar date, YYYY-MM-DD. */
export const CalendarDate = z.iso.date();

export const FiniteNumber = z.number().refine(Number.isFinite, 'must be a finite number');
