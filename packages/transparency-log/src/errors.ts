/**
 * Why a key, note, checkpoint or proof was refused.
 *
 * - malformed-key: a signer or verifier key string is not in the note key format, or its key ID
 *   does not match its name and key;
 * - malformed-note: not a signed note (C2SP signed-note): encoding, blank line, signature lines;
 * - malformed-checkpoint: the note text is not a C2SP tlog-checkpoint;
 * - malformed-statement: the note text is not a key statement (key-statement.ts);
 * - malformed-proof: a proof JSON object is not of the documented shape;
 * - wrong-key: the note carries no signature by the trusted key(s) (signed by another key);
 * - bad-signature: a signature by a trusted key does not verify (the note was altered);
 * - origin-mismatch: the checkpoint is from another log than the one expected.
 */
export type TransparencyLogErrorCode =
  | 'malformed-key'
  | 'malformed-note'
  | 'malformed-checkpoint'
  | 'malformed-statement'
  | 'malformed-proof'
  | 'wrong-key'
  | 'bad-signature'
  | 'origin-mismatch';

export class TransparencyLogError extends Error {
  readonly code: TransparencyLogErrorCode;

  constructor(code: TransparencyLogErrorCode, message: string) {
    super(message);
    this.name = 'TransparencyLogError';
    this.code = code;
  }
}
