import {
  KeyObject,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as edSign,
  verify as edVerify,
  timingSafeEqual,
} from 'node:crypto';

/** Algorithms of checkpoint signatures. @public */
export type CheckpointAlgorithm = 'hmac-sha256' | 'ed25519';

/**
 * One checkpoint: the chain hash at `seq`, signed.
 *
 * @public
 */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  at: string;
  algorithm: CheckpointAlgorithm;
  keyId: string;
  /** base64 */
  signature: string;
}

/**
 * The signed text of a checkpoint:
 * `JSON.stringify(["fincloud-audit-checkpoint/1", seq, hash, at, algorithm, keyId])`.
 *
 * @public
 */
export function checkpointSigningInput(
  c: Omit<AuditCheckpoint, 'signature'>,
): string {
  return JSON.stringify([
    'fincloud-audit-checkpoint/1',
    c.seq,
    c.hash,
    c.at,
    c.algorithm,
    c.keyId,
  ]);
}

/** A key that checks checkpoints (and, when it has the secret part, signs them). @public */
export interface CheckpointKey {
  keyId: string;
  algorithm: CheckpointAlgorithm;
  hmacKey?: Buffer;
  privateKey?: KeyObject;
  publicKey?: KeyObject;
}

/**
 * Signs new checkpoints with the active key and checks stored ones with
 * the active key or a retired one (matched by key id).
 *
 * @public
 */
export class CheckpointSigner {
  private readonly byId: Map<string, CheckpointKey>;

  constructor(
    private readonly active: CheckpointKey | undefined,
    retired: CheckpointKey[] = [],
  ) {
    this.byId = new Map();
    for (const k of retired) this.byId.set(k.keyId, k);
    if (active) this.byId.set(active.keyId, active);
  }

  /** Builds an HMAC-SHA256 signer from a secret (at least 32 characters). */
  static hmac(keyId: string, secret: string): CheckpointSigner {
    return new CheckpointSigner(hmacKey(keyId, secret));
  }

  canSign(): boolean {
    return Boolean(
      this.active && (this.active.hmacKey || this.active.privateKey),
    );
  }

  get activeKeyId(): string | undefined {
    return this.active?.keyId;
  }

  sign(
    c: Omit<AuditCheckpoint, 'signature' | 'algorithm' | 'keyId'>,
  ): AuditCheckpoint {
    const key = this.active;
    if (!key || !(key.hmacKey || key.privateKey)) {
      throw new Error('No checkpoint signing key is configured');
    }
    const unsigned = { ...c, algorithm: key.algorithm, keyId: key.keyId };
    const input = Buffer.from(checkpointSigningInput(unsigned), 'utf8');
    const signature =
      key.algorithm === 'hmac-sha256'
        ? createHmac('sha256', key.hmacKey!).update(input).digest('base64')
        : edSign(null, input, key.privateKey!).toString('base64');
    return { ...unsigned, signature };
  }

  /** `true` valid, `false` bad signature, or a reason when it cannot be checked. */
  verify(c: AuditCheckpoint): true | false | string {
    const key = this.byId.get(c.keyId);
    if (!key) return `no key with id '${c.keyId}' is configured`;
    if (key.algorithm !== c.algorithm) {
      return `key '${c.keyId}' is ${key.algorithm}, the checkpoint says ${c.algorithm}`;
    }
    const input = Buffer.from(checkpointSigningInput(c), 'utf8');
    const given = Buffer.from(c.signature, 'base64');
    if (key.algorithm === 'hmac-sha256') {
      if (!key.hmacKey) return `key '${c.keyId}' has no HMAC secret`;
      const expected = createHmac('sha256', key.hmacKey).update(input).digest();
      return (
        given.length === expected.length && timingSafeEqual(given, expected)
      );
    }
    const pub = key.publicKey;
    if (!pub) return `key '${c.keyId}' has no Ed25519 public key`;
    try {
      return edVerify(null, input, pub, given);
    } catch {
      return false;
    }
  }
}

/** @public */
export function hmacKey(keyId: string, secret: string): CheckpointKey {
  if (secret.length < 32) {
    throw new Error(
      `The audit checkpoint HMAC key '${keyId}' must be at least 32 characters long`,
    );
  }
  return {
    keyId,
    algorithm: 'hmac-sha256',
    hmacKey: Buffer.from(secret, 'utf8'),
  };
}

/** @public */
export function ed25519Key(
  keyId: string,
  opts: { privateKeyPem?: string; publicKeyPem?: string },
): CheckpointKey {
  const privateKey = opts.privateKeyPem
    ? createPrivateKey(opts.privateKeyPem)
    : undefined;
  if (privateKey && privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `The audit checkpoint key '${keyId}' is not an Ed25519 key`,
    );
  }
  const publicKey = opts.publicKeyPem
    ? createPublicKey(opts.publicKeyPem)
    : privateKey && createPublicKey(privateKey);
  if (!publicKey) {
    throw new Error(
      `The audit checkpoint key '${keyId}' needs an Ed25519 private or public key`,
    );
  }
  return { keyId, algorithm: 'ed25519', privateKey, publicKey };
}
