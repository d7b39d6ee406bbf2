import path from 'node:path';
import { Config } from '@backstage/config';
import {
  CheckpointKey,
  CheckpointSigner,
  ed25519Key,
  hmacKey,
} from '../chain/signer';
import { DatabaseAuditStoreOptions } from '../store/DatabaseAuditStore';

/**
 * The well-known key in app-config.yaml, refused when NODE_ENV=production.
 *
 * @public
 */
export const DEVELOPMENT_AUDIT_HMAC_KEY =
  'fincloud-development-only-audit-hmac-key-not-secret';

/**
 * Builds the checkpoint signer from `fincloud.audit.checkpoints`.
 * `requireSigningKey: false` lets a verify-only host (the CLI with an
 * Ed25519 public key) start without a secret.
 *
 * @public
 */
export function readCheckpointSigner(
  config: Config,
  options?: { requireSigningKey?: boolean },
): CheckpointSigner {
  const c = config.getOptionalConfig('fincloud.audit.checkpoints');
  const keyId = c?.getOptionalString('keyId') ?? 'default';
  const privatePem = c?.getOptionalString('ed25519PrivateKey');
  const publicPem = c?.getOptionalString('ed25519PublicKey');
  const secret = c?.getOptionalString('hmacKey');
  let active: CheckpointKey | undefined;
  if (privatePem || publicPem) {
    active = ed25519Key(keyId, {
      privateKeyPem: privatePem,
      publicKeyPem: publicPem,
    });
  } else if (secret) {
    if (
      secret === DEVELOPMENT_AUDIT_HMAC_KEY &&
      process.env.NODE_ENV === 'production'
    ) {
      throw new Error(
        'fincloud.audit.checkpoints.hmacKey is the development key from app-config.yaml; set a secret of your own in production',
      );
    }
    active = hmacKey(keyId, secret);
  }
  const retired = (c?.getOptionalConfigArray('retiredKeys') ?? []).map(r => {
    const id = r.getString('keyId');
    const rs = r.getOptionalString('hmacKey');
    const rp = r.getOptionalString('ed25519PublicKey');
    if (rp) return ed25519Key(id, { publicKeyPem: rp });
    if (rs) return hmacKey(id, rs);
    throw new Error(
      `fincloud.audit.checkpoints.retiredKeys '${id}' needs hmacKey or ed25519PublicKey`,
    );
  });
  const signer = new CheckpointSigner(active, retired);
  if ((options?.requireSigningKey ?? true) && !signer.canSign()) {
    throw new Error(
      'The audit trail needs a checkpoint signing key: set fincloud.audit.checkpoints.hmacKey (32+ characters) or fincloud.audit.checkpoints.ed25519PrivateKey',
    );
  }
  return signer;
}

/**
 * Reads the store's options (everything but database and logger) from
 * `fincloud.audit`.
 *
 * @public
 */
export function readAuditStoreOptions(
  config: Config,
): Omit<DatabaseAuditStoreOptions, 'database' | 'logger'> {
  const a = config.getOptionalConfig('fincloud.audit');
  const spoolDir =
    a?.getOptionalString('spool.directory') ?? '.fincloud/audit-spool';
  const intervalSeconds = a?.getOptionalNumber('checkpoints.intervalSeconds');
  return {
    signer: readCheckpointSigner(config),
    checkpointEvery: a?.getOptionalNumber('checkpoints.every'),
    checkpointIntervalMs:
      intervalSeconds !== undefined ? intervalSeconds * 1000 : undefined,
    spoolDirectory: path.resolve(spoolDir),
    maxQueuedEvents: a?.getOptionalNumber('spool.maxQueuedEvents'),
    batchSize: a?.getOptionalNumber('writer.batchSize'),
    retryInitialMs: a?.getOptionalNumber('writer.retryInitialMs'),
    retryMaxMs: a?.getOptionalNumber('writer.retryMaxMs'),
    failClosedTimeoutMs: a?.getOptionalNumber('writer.failClosedTimeoutMs'),
    commitTimeoutMs: a?.getOptionalNumber('writer.commitTimeoutMs'),
  };
}
