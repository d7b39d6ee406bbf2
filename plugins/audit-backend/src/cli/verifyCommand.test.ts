import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import knexFactory, { Knex } from 'knex';
import { mockServices } from '@backstage/backend-test-utils';
import {
  CheckpointSigner,
  DatabaseAuditStore,
  auditItemToJsonl,
} from '@fincloud/plugin-audit-node';
import { runVerify } from './verifyCommand';

jest.setTimeout(60_000);

const KEY = 'cli-test-hmac-key-0123456789abcdef0123';

describe('verify CLI', () => {
  let dir: string;
  let knex: Knex;
  let store: DatabaseAuditStore;
  let configFile: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-cli-'));
    fs.mkdirSync(path.join(dir, 'db'));
    // The layout Backstage's SQLite connector uses: <directory>/<pluginId>.sqlite
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: path.join(dir, 'db', 'audit.sqlite') },
      useNullAsDefault: true,
    });
    store = await DatabaseAuditStore.create({
      database: knex,
      logger: mockServices.logger.mock(),
      signer: CheckpointSigner.hmac('cli', KEY),
      checkpointEvery: 10,
    });
    for (let i = 0; i < 35; i++) {
      await store.append({
        plugin: 'releases',
        eventId: 'release-promote',
        severity: 'high',
        status: 'initiated',
        actor: { type: 'user', ref: 'user:default/paula' },
        meta: { i },
        correlationId: `c-${i}`,
      });
    }
    configFile = path.join(dir, 'app-config.yaml');
    fs.writeFileSync(
      configFile,
      `backend:\n  database:\n    client: better-sqlite3\n    connection:\n      directory: ${JSON.stringify(
        path.join(dir, 'db'),
      )}\nfincloud:\n  audit:\n    checkpoints:\n      keyId: cli\n      hmacKey: ${KEY}\n`,
    );
  });

  afterAll(async () => {
    await store.stop();
    await knex.destroy();
  });

  function capture() {
    const lines: string[] = [];
    const errors: string[] = [];
    return {
      io: {
        out: (l: string) => lines.push(l),
        err: (l: string) => errors.push(l),
      },
      lines,
      errors,
    };
  }

  it('reports an intact chain from the database the config names (a real process)', () => {
    const result = spawnSync(
      process.execPath,
      [
        '--require',
        require.resolve('@backstage/cli/config/nodeTransform.cjs'),
        path.resolve(__dirname, '../../bin/verify.ts'),
        '--config',
        configFile,
      ],
      { encoding: 'utf8', cwd: path.resolve(__dirname, '../..') },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('audit chain INTACT: 35 records checked');
    expect(result.stdout).toMatch(
      /last checkpoint checked: seq 3\d, signed .*, valid/,
    );
    expect(result.status).toBe(0);
  });

  it('verifies an export file and refuses it without the key', async () => {
    const file = path.join(dir, 'export.jsonl');
    const lines: string[] = [];
    for await (const item of store.export({
      query: {},
      checkpointFirst: true,
    })) {
      lines.push(auditItemToJsonl(item));
    }
    fs.writeFileSync(file, lines.join(''));
    const ok = capture();
    expect(
      await runVerify(['--config', configFile, '--export', file], ok.io, dir),
    ).toBe(0);
    expect(ok.lines[0]).toBe(
      `export ${file} INTACT: 35 records (seq 1-35), 0 links`,
    );

    const noKeyConfig = path.join(dir, 'nokey.yaml');
    fs.writeFileSync(
      noKeyConfig,
      'backend:\n  database:\n    client: better-sqlite3\n    connection: ":memory:"\n',
    );
    const noKey = capture();
    expect(
      await runVerify(
        ['--config', noKeyConfig, '--export', 'export.jsonl'],
        noKey.io,
        dir,
      ),
    ).toBe(1);
    expect(noKey.lines[0]).toMatch(
      /BROKEN at record 35: the checkpoint signature is not checkable: no key with id 'cli'/,
    );
  });

  it('names the altered record and exits 1', async () => {
    await knex.raw('DROP TRIGGER audit_events_no_update');
    await knex('audit_events')
      .where({ seq: 23 })
      .update({ actor_ref: 'user:default/pete' });
    const c = capture();
    expect(await runVerify(['--config', configFile], c.io, dir)).toBe(1);
    expect(c.lines[0]).toBe(
      'audit chain BROKEN at record 23: record 23 was altered: its content does not match its hash',
    );
    const j = capture();
    expect(await runVerify(['--config', configFile, '--json'], j.io, dir)).toBe(
      1,
    );
    expect(JSON.parse(j.lines.join('\n'))).toMatchObject({
      ok: false,
      checked: 22,
      firstBroken: { seq: 23 },
    });
  });

  it('explains what it cannot verify', async () => {
    const c = capture();
    expect(await runVerify(['--bogus'], c.io, dir)).toBe(2);
    expect(c.errors[0]).toMatch(/unknown argument '--bogus'/);
    const mem = path.join(dir, 'mem.yaml');
    fs.writeFileSync(
      mem,
      'backend:\n  database:\n    client: better-sqlite3\n    connection: ":memory:"\n',
    );
    const m = capture();
    expect(await runVerify(['--config', mem], m.io, dir)).toBe(2);
    expect(m.errors[0]).toMatch(/SQLite in memory/);
  });
});
