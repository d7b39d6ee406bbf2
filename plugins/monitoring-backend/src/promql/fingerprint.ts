/**
 * The fingerprint Prometheus and Alertmanager give a label set
 * (`model.LabelSet.Fingerprint()`): FNV-1a 64 over the sorted label names
 * and values, each followed by the separator byte 0xff, as 16 hex digits.
 * With it a pending alert read from Prometheus gets the id Alertmanager
 * will give it once it fires.
 */
const OFFSET = 14695981039346656037n;
const PRIME = 1099511628211n;
const MASK = (1n << 64n) - 1n;
const encoder = new TextEncoder();

function add(hash: bigint, bytes: Uint8Array): bigint {
  let h = hash;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * PRIME) & MASK;
  }
  return h;
}

const SEPARATOR = new Uint8Array([0xff]);

export function labelsFingerprint(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  let h = OFFSET;
  for (const name of names) {
    h = add(h, encoder.encode(name));
    h = add(h, SEPARATOR);
    h = add(h, encoder.encode(labels[name]));
    h = add(h, SEPARATOR);
  }
  return h.toString(16).padStart(16, '0');
}
