const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Lower-case hex with dashes: what unpackUuid gives back, so packing it loses nothing. */
export const isCanonicalUuid = (id: string): boolean => CANONICAL.test(id);

/** A UUID as four 32-bit words (case-blind, as UUIDs are); [0, 0, 0, 0] for none. */
export function packUuid(id: string | null, into: Int32Array): void {
  if (id === null) return void into.fill(0);
  if (!UUID.test(id)) throw new RangeError(`submission id ${id} is not a UUID`);
  packChecked(id, into);
}

/** packUuid of an id already checked to be a UUID (8-4-4-4-12 hex digits). */
export function packChecked(id: string, into: Int32Array): void {
  const word = (text: string) => Number.parseInt(text, 16) | 0;
  into[0] = word(id.slice(0, 8));
  into[1] = word(id.slice(9, 13) + id.slice(14, 18));
  into[2] = word(id.slice(19, 23) + id.slice(24, 28));
  into[3] = word(id.slice(28, 36));
}

/** The canonical text of a packed UUID. */
export function unpackUuid(words: Int32Array): string {
  let hex = '';
  for (let k = 0; k < 4; k++) hex += ((words[k] as number) >>> 0).toString(16).padStart(8, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
