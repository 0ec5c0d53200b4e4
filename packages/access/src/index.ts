export {
  API_KEY_PREFIX,
  DIGEST_BYTES,
  digestsEqual,
  isKeyId,
  KEY_ID_BYTES,
  keyDigest,
  newApiKey,
  parseApiKey,
  SECRET_BYTES,
} from './api-key.ts';
export { type Bearer, MAX_CREDENTIAL_LENGTH, readBearer } from './credential.ts';
export {
  createOidcVerifier,
  DEFAULT_ALGORITHMS,
  type OidcRefusal,
  type OidcVerification,
  type OidcVerifier,
  type OidcVerifierOptions,
} from './oidc.ts';
export { loadOrCreateServerSecret, SERVER_SECRET_BYTES } from './server-secret.ts';
export { type ApiKeyRefusal, type ApiKeyVerification, verifyApiKey } from './verify-key.ts';
