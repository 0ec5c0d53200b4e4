import { z } from 'zod';

/**
 * The ledger's rules for text, in one place (docs/api.md, "Text").
 *
 * Two layers. At the door (commands), names and free text are held to what a person reading a
 * ranking, a terminal or a spreadsheet can trust. In the log (event schemas), a stored text needs
 * only what every reader needs to fold, hash and replay it: well-formed Unicode. The log's rule is
 * never stricter than an earlier door's, so a log written by an earlier version still folds.
 *
 * Refused in names and labels (units, indicators, methodologies, groups, authorities):
 * - controls (Cc: NUL, BEL, ESC, tab, line feed …) and format characters (Cf: the bidirectional
 *   embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069, the marks U+200E/U+200F/U+061C,
 *   zero-width space, joiners, word joiner, soft hyphen, BOM, tags);
 * - line and paragraph separators (U+2028, U+2029), private-use and unassigned code points, lone
 *   surrogates, and every other default-ignorable code point (variation selectors, Hangul fillers).
 * Vietnamese needs none of these: its letters are precomposed in NFC (ơ, ư, đ, ắ, ậ …), and NFC is
 * applied first, so a name typed with combining marks is stored precomposed. Scripts that need the
 * zero-width joiners (Devanagari, Persian) or emoji sequences are not accepted in names today; a
 * later door may allow them (loosening the door never breaks the log; tightening the log would).
 *
 * Free text (reasons, sources) follows the same rule but may hold line breaks (stored as \n).
 */

const INVISIBLE = '\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Co}\\p{Cn}\\p{Cs}\\p{DI}';
const NOT_IN_NAMES = new RegExp(`[${INVISIBLE}]`, 'u');
const NOT_IN_TEXT = new RegExp(`(?!\\n)[${INVISIBLE}]`, 'u');
const VISIBLE = /[\p{L}\p{N}]/u;

const codePoint = (c: string) =>
  `U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;

/** Lone surrogates cannot be written as UTF-8 nor hashed (RFC 8785): no reader can take them. */
export const isWellFormedText = (s: string): boolean => s.isWellFormed();

const normaliseName = (s: string) =>
  s
    .normalize('NFC')
    .replace(/\p{Zs}+/gu, ' ')
    .trim();
const normaliseText = (s: string) => s.normalize('NFC').replace(/\r\n?/g, '\n').trim();

const refuse = (pattern: RegExp, what: string) => (s: string, ctx: z.RefinementCtx) => {
  if (!isWellFormedText(s)) {
    ctx.addIssue({ code: 'custom', message: `must be well-formed Unicode (it holds a lone surrogate)` });
    return;
  }
  const found = pattern.exec(s);
  if (found)
    ctx.addIssue({
      code: 'custom',
      message: `must not contain ${codePoint(found[0])}: ${what}`,
    });
};

/**
 * A name people read, at the door: NFC, runs of spaces collapsed to one, trimmed, 1–200
 * characters with at least one letter or digit, and none of the invisible characters above.
 */
export const Name = z
  .string()
  .transform(normaliseName)
  .pipe(
    z
      .string()
      .superRefine(refuse(NOT_IN_NAMES, 'names may not hold control, format or invisible characters'))
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .regex(VISIBLE, 'must contain a letter or a digit'),
  );

/** Free text at the door (reasons, sources): as a name, but line breaks are kept; 1–2000 characters. */
export const Text = z
  .string()
  .transform(normaliseText)
  .pipe(
    z
      .string()
      .superRefine(
        refuse(NOT_IN_TEXT, 'text may hold line breaks, but no other control, format or invisible character'),
      )
      .min(1, 'must not be empty')
      .max(2000, 'must be at most 2000 characters'),
  );

const wellFormed = (s: z.ZodString) => s.refine(isWellFormedText, 'must be well-formed Unicode');

/** A name as the log holds it: what the door has accepted in any version, and well-formed. */
export const StoredName = wellFormed(z.string())
  .trim()
  .min(1)
  .max(200)
  .transform((s) => s.normalize('NFC'));

/** Free text as the log holds it. */
export const StoredText = wellFormed(z.string())
  .trim()
  .min(1)
  .max(2000)
  .transform((s) => s.normalize('NFC'));

/**
 * A label that is not a name (an actor, a correlation id from a header): 1–128 characters, no
 * invisible characters, as it is (not normalised: it is matched, not read).
 */
export const Label = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .superRefine(refuse(NOT_IN_NAMES, 'labels may not hold control, format or invisible characters'));

/**
 * Text made safe to show on a terminal or in a tab-separated line: every control, format or
 * invisible character (and a lone surrogate) is written as \u{…}, so that nothing a log holds can
 * move the cursor, clear the screen, reorder what follows or hide itself.
 */
export const visible = (text: string): string =>
  text.replace(
    new RegExp(`[${INVISIBLE}]`, 'gu'),
    (c) => `\\u{${(c.codePointAt(0) as number).toString(16)}}`,
  );

/**
 * JSON text with the same characters written as \uXXXX escapes (astral ones as their surrogate
 * pair): the same JSON value, safe to print.
 */
export const visibleJson = (json: string): string =>
  // Line feeds are the layout of pretty-printed JSON; inside its strings JSON.stringify escapes them.
  json.replace(new RegExp(`(?!\\n)[${INVISIBLE}]`, 'gu'), (c) =>
    Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(
      '',
    ),
  );
