import { MASK, SecretMasker } from '@fincloud/plugin-terminal-common';
import { AsciicastRecorder } from './AsciicastRecorder';
import { RecordingStore } from './RecordingStore';

/** A store in memory for the recorder's own logic (the database store is tested on SQLite and Postgres). */
class MemoryStore implements RecordingStore {
  chunks = new Map<number, string>();
  failing = false;
  async append(_id: string, seq: number, data: string) {
    if (this.failing) throw new Error('disk full');
    this.chunks.set(seq, data);
  }
  async *read() {
    for (const k of [...this.chunks.keys()].sort((a, b) => a - b)) yield this.chunks.get(k)!;
  }
  async exists() {
    return this.chunks.has(0);
  }
  text() {
    return [...this.chunks.keys()].sort((a, b) => a - b).map(k => this.chunks.get(k)).join('');
  }
  events() {
    return this.text().split('\n').filter(Boolean).slice(1).map(l => JSON.parse(l));
  }
}

function recorder(store: MemoryStore, onFailure = jest.fn()) {
  return new AsciicastRecorder({
    sessionId: 's',
    store,
    masker: new SecretMasker(),
    width: 80,
    height: 24,
    chunkBytes: 64 * 1024,
    flushMillis: 50,
    onFailure,
  });
}

describe('AsciicastRecorder', () => {
  it('writes the header, then the events unchanged when nothing is secret', async () => {
    const store = new MemoryStore();
    const r = recorder(store);
    await r.start();
    r.output('$ ');
    r.input('l');
    r.output('l');
    r.input('s\r');
    r.output('s\r\n');
    r.output('app.jar  config\r\n$ ');
    r.resize(100, 30);
    await r.close();
    expect(JSON.parse(store.text().split('\n')[0])).toMatchObject({ version: 2, width: 80, height: 24 });
    expect(store.events().map(([, type, data]) => [type, data])).toEqual([
      ['o', '$ '], ['i', 'l'], ['o', 'l'], ['i', 's\r'], ['o', 's\r\n'], ['o', 'app.jar  config\r\n'], ['o', '$ '], ['r', '100x30'],
    ]);
  });

  it('masks a secret typed and echoed one key at a time', async () => {
    const store = new MemoryStore();
    const r = recorder(store);
    await r.start();
    for (const ch of 'export DB_PASSWORD=hunter22\r') {
      r.input(ch);
      r.output(ch === '\r' ? '\r\n' : ch);
    }
    await r.close();
    const text = store.text();
    expect(text).not.toContain('hunter22');
    // the line's input and its echo, each as one masked event
    expect(store.events().map(e => e[1])).toEqual(['i', 'o']);
    expect(store.events()[0][2]).toBe(`export DB_PASSWORD=${MASK}\r`);
    expect(store.events()[1][2]).toBe(`export DB_PASSWORD=${MASK}\r\n`);
  });

  it('masks what is typed at a password prompt', async () => {
    const store = new MemoryStore();
    const r = recorder(store);
    await r.start();
    r.output('Password: ');
    for (const ch of 's3cret!\r') r.input(ch);
    r.output('\r\n$ ');
    r.input('ls\r');
    await r.close();
    const inputs = store.events().filter(e => e[1] === 'i').map(e => e[2]).join('');
    expect(inputs).not.toContain('s3cret');
    expect(inputs).toContain(`${MASK}\r`);
    expect(inputs).toContain('ls\r');
  });

  it('releases a prompt that waits for input after flushMillis', async () => {
    const store = new MemoryStore();
    const r = recorder(store);
    await r.start();
    r.output('$ ');
    await new Promise(res => setTimeout(res, 400));
    expect(store.events()).toEqual([[expect.any(Number), 'o', '$ ']]);
    await r.close();
  });

  it('reports a failed write once and refuses to close cleanly', async () => {
    const store = new MemoryStore();
    const onFailure = jest.fn();
    const r = recorder(store, onFailure);
    await r.start();
    store.failing = true;
    r.output('line\r\n');
    await expect(r.close()).rejects.toThrow('disk full');
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(r.failed?.message).toBe('disk full');
  });

  it('does not start when the header cannot be written', async () => {
    const store = new MemoryStore();
    store.failing = true;
    await expect(recorder(store).start()).rejects.toThrow('disk full');
  });
});
