import { generateKeyPairSync } from 'node:crypto';
import { ConfigReader } from '@backstage/config';
import { CheckpointSigner, ed25519Key } from './signer';
import {
  DEVELOPMENT_AUDIT_HMAC_KEY,
  readCheckpointSigner,
} from '../service/config';

const cp = { seq: 10, hash: 'a'.repeat(64), at: '2026-01-01T00:00:00.000Z' };

describe('checkpoint signatures', () => {
  it('signs and checks with HMAC-SHA256, and refuses any change', () => {
    const signer = CheckpointSigner.hmac('k1', 'k'.repeat(40));
    const signed = signer.sign(cp);
    expect(signed).toMatchObject({ algorithm: 'hmac-sha256', keyId: 'k1' });
    expect(signer.verify(signed)).toBe(true);
    expect(signer.verify({ ...signed, hash: 'b'.repeat(64) })).toBe(false);
    expect(signer.verify({ ...signed, seq: 11 })).toBe(false);
    expect(CheckpointSigner.hmac('k1', 'x'.repeat(40)).verify(signed)).toBe(
      false,
    );
    expect(CheckpointSigner.hmac('k2', 'k'.repeat(40)).verify(signed)).toBe(
      "no key with id 'k1' is configured",
    );
  });

  it('refuses short HMAC keys', () => {
    expect(() => CheckpointSigner.hmac('k', 'short')).toThrow(
      /at least 32 characters/,
    );
  });

  it('signs with Ed25519 and checks with the public key alone', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const signer = new CheckpointSigner(
      ed25519Key('ed', { privateKeyPem: pem }),
    );
    const signed = signer.sign(cp);
    expect(signed.algorithm).toBe('ed25519');
    const verifier = new CheckpointSigner(
      ed25519Key('ed', { publicKeyPem: pub }),
    );
    expect(verifier.canSign()).toBe(false);
    expect(verifier.verify(signed)).toBe(true);
    expect(verifier.verify({ ...signed, at: '2026-01-01T00:00:00.001Z' })).toBe(
      false,
    );
  });

  it('reads keys from config, retired keys included, and needs one to sign', () => {
    const old = CheckpointSigner.hmac('old', 'o'.repeat(40)).sign(cp);
    const signer = readCheckpointSigner(
      new ConfigReader({
        fincloud: {
          audit: {
            checkpoints: {
              keyId: 'new',
              hmacKey: 'n'.repeat(40),
              retiredKeys: [{ keyId: 'old', hmacKey: 'o'.repeat(40) }],
            },
          },
        },
      }),
    );
    expect(signer.activeKeyId).toBe('new');
    expect(signer.verify(old)).toBe(true);
    expect(() => readCheckpointSigner(new ConfigReader({}))).toThrow(
      /needs a checkpoint signing key/,
    );
    expect(
      readCheckpointSigner(new ConfigReader({}), {
        requireSigningKey: false,
      }).canSign(),
    ).toBe(false);
  });

  it('refuses the development key in production', () => {
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(() =>
        readCheckpointSigner(
          new ConfigReader({
            fincloud: {
              audit: { checkpoints: { hmacKey: DEVELOPMENT_AUDIT_HMAC_KEY } },
            },
          }),
        ),
      ).toThrow(/development key/);
    } finally {
      process.env.NODE_ENV = env;
    }
  });
});
