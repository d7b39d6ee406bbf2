import request from 'supertest';
import {
  TERMINAL_WS_BEARER_PREFIX,
  TERMINAL_WS_PROTOCOL,
} from '@fincloud/plugin-terminal-common';
import { WebSocket } from 'ws';
import { startTerminalBackend, TerminalBackend } from '../__testUtils__/backend';
import { startRecordingSim, RecordingSim } from '../__testUtils__/sim';

jest.setTimeout(180_000);

const ARCHIVE = '/var/log/app/archive/app-2024-11-27.log';

describe('back-pressure', () => {
  let sim: RecordingSim;
  let backend: TerminalBackend;

  beforeAll(async () => {
    sim = await startRecordingSim();
    backend = await startTerminalBackend({
      sim,
      terminal: {
        heartbeatSeconds: 0.1,
        limits: {
          maxOutputBytesPerCommand: 128 * 1024 * 1024,
          commandTimeoutSeconds: 120,
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await sim?.stop();
  });

  /** A restricted session into payment-gateway, as the browser opens it. */
  function openRestricted(token: string): WebSocket {
    const query = new URLSearchParams({
      entityRef: 'component:default/payment-gateway',
      cluster: 'sim',
      namespace: 'payments',
      pod: sim.podOf('payments', 'payment-gateway'),
      container: 'payment-gateway',
    });
    return new WebSocket(`ws://127.0.0.1:${backend.port}/api/terminal/ws?${query}`, [
      TERMINAL_WS_PROTOCOL,
      `${TERMINAL_WS_BEARER_PREFIX}${token}`,
    ]);
  }

  it('stops reading from the pod while the browser does not read, and then delivers every byte', async () => {
    const token = await backend.tokenFor('pete');
    const ws = openRestricted(token);
    let received = 0; // bytes of output, CR of the CRLF conversion left out
    let sessionId = '';
    let size = 0;
    const waiting: Array<(m: any) => boolean> = [];
    ws.on('message', data => {
      const m = JSON.parse(String(data));
      if (m.type === 'ready') sessionId = m.sessionId;
      if (m.type === 'output') {
        if (size === 0) {
          const n = /^(\d+) /.exec(m.data);
          if (n) size = Number(n[1]);
        } else {
          received += Buffer.byteLength(m.data) - (m.data.match(/\r\n/g)?.length ?? 0);
        }
      }
      for (const w of [...waiting]) if (w(m)) waiting.splice(waiting.indexOf(w), 1);
    });
    const next = (type: string) =>
      new Promise<any>(resolve => waiting.push(m => (m.type === type ? (resolve(m), true) : false)));

    const ready = next('ready');
    await new Promise(r => ws.on('open', r));
    await ready;
    const counted = next('exit');
    ws.send(JSON.stringify({ type: 'line', line: `wc -c ${ARCHIVE}` }));
    await counted;
    expect(size).toBeGreaterThan(60 * 1024 * 1024);

    // The browser stops reading.
    const socket = (ws as any)._socket;
    socket.pause();
    const done = next('exit');
    ws.send(JSON.stringify({ type: 'line', line: `cat ${ARCHIVE}` }));
    await new Promise(r => setTimeout(r, 3000));
    const readWhilePaused = await request(backend.server)
      .get(`/api/terminal/sessions/${sessionId}`)
      .set('authorization', `Bearer ${token}`);
    const bytesRead = readWhilePaused.body.bytesOut;
    // What the backend read from the pod is bounded by its own buffer (256 KiB)
    // plus the kernel's socket buffers, not by the 64 MiB the pod has to send.
    expect(bytesRead).toBeGreaterThan(0);
    expect(bytesRead).toBeLessThan(16 * 1024 * 1024);

    // The browser reads again: everything arrives, nothing dropped.
    socket.resume();
    const exit = await done;
    expect(exit.code).toBe(0);
    expect(received).toBe(size);
    ws.close();
  });

  it('keeps holding the pod back for the next command while the browser is still behind', async () => {
    const token = await backend.tokenFor('pete');
    const ws = openRestricted(token);
    let sessionId = '';
    ws.on('message', data => {
      const m = JSON.parse(String(data));
      if (m.type === 'ready') sessionId = m.sessionId;
    });
    await new Promise(r => ws.on('open', r));
    const bytesOut = async () => {
      // the heartbeat (0.1 s here) persists the counters
      await new Promise(r => setTimeout(r, 500));
      const res = await request(backend.server)
        .get(`/api/terminal/sessions/${sessionId}`)
        .set('authorization', `Bearer ${token}`);
      return res.body.bytesOut as number;
    };
    while (!sessionId) await new Promise(r => setTimeout(r, 20));

    // The browser stops reading; a 64 MiB command fills what it may hold.
    const socket = (ws as any)._socket;
    socket.pause();
    ws.send(JSON.stringify({ type: 'line', line: `cat ${ARCHIVE}` }));
    await new Promise(r => setTimeout(r, 2000));
    // Ctrl-C ends it at once, although its stream is held back.
    ws.send(JSON.stringify({ type: 'stdin', data: '\u0003' }));
    await new Promise(r => setTimeout(r, 1000));
    const afterFirst = await bytesOut();
    expect(afterFirst).toBeLessThan(16 * 1024 * 1024);

    // The next command starts while the browser is still behind: its stream
    // must be held back too, not read into the backend's memory.
    ws.send(JSON.stringify({ type: 'line', line: `cat ${ARCHIVE}` }));
    await new Promise(r => setTimeout(r, 3000));
    const afterSecond = await bytesOut();
    expect(afterSecond - afterFirst).toBeLessThan(16 * 1024 * 1024);
    ws.terminate();
  });
});
