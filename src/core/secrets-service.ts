/**
 * @module core/secrets-service: the one place that holds the bridge's rules. It confines every
 * operation to the caller's namespace and turns agent-relative names into Vault-side names,
 * then calls Vault through the VaultPort.
 */
import type { z } from 'zod'
import type { CallContext } from './identity.js'
import type * as S from './schemas.js'

type Call<I extends z.ZodType, O extends z.ZodType> = (
  ctx: CallContext,
  input: z.infer<I>,
) => Promise<z.infer<O>>

/** One method per operation; inputs are already validated against the operation's schema. */
export interface SecretsService {
  readSecret: Call<typeof S.readSecretInput, typeof S.readSecretOutput>
  writeSecret: Call<typeof S.writeSecretInput, typeof S.writeSecretOutput>
  patchSecret: Call<typeof S.writeSecretInput, typeof S.writeSecretOutput>
  deleteSecret: Call<typeof S.deleteSecretInput, typeof S.deleteSecretOutput>
  undeleteSecret: Call<typeof S.versionsInput, typeof S.versionsOutput>
  destroySecret: Call<typeof S.versionsInput, typeof S.versionsOutput>
  listSecrets: Call<typeof S.listSecretsInput, typeof S.listSecretsOutput>
  readSecretMetadata: Call<typeof S.readSecretMetadataInput, typeof S.readSecretMetadataOutput>
  deleteSecretMetadata: Call<
    typeof S.deleteSecretMetadataInput,
    typeof S.deleteSecretMetadataOutput
  >
  encrypt: Call<typeof S.encryptInput, typeof S.encryptOutput>
  decrypt: Call<typeof S.decryptInput, typeof S.decryptOutput>
  rewrap: Call<typeof S.rewrapInput, typeof S.rewrapOutput>
  generateDataKey: Call<typeof S.generateDataKeyInput, typeof S.generateDataKeyOutput>
}
