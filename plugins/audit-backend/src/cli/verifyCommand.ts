import fs from 'node:fs';
import path from 'node:path';
import { ConfigSources } from '@backstage/config-loader';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { AuditVerifyResult } from '@fincloud/plugin-audit-common';
import {
  AuditExportVerifyResult,
  readAuditExportFile,
  readCheckpointSigner,
  verifyAuditExport,
  verifyAuditTrail,
} from '@fincloud/plugin-audit-node';

export const VERIFY_USAGE = `Usage: yarn workspace @fincloud/plugin-audit-backend verify [options]

Walks the audit chain straight from the database the backend's config
points at (the 'audit' plugin's database), checks every record's hash, its
link to the one before, seq gaps and the signed checkpoints, and names the
first broken record. With --export, checks an exported or archived file
instead.

Options:
  --config <file>   config file, repeatable (default: app-config.yaml and
                    app-config.local.yaml of the repository)
  --export <file>   verify an export/archive file (CSV or JSON Lines)
  --json            print the result as JSON
  --help            this text

Exit code: 0 intact, 1 broken, 2 could not verify.`;

interface Output {
  out(line: string): void;
  err(line: string): void;
}

function findRepoRoot(from: string): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).workspaces) return dir;
      } catch {
        // keep looking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
}

function consoleLogger(io: Output): LoggerService {
  const logger: LoggerService = {
    error: m => io.err(`error: ${m}`),
    warn: m => io.err(`warning: ${m}`),
    info: () => {},
    debug: () => {},
    child: () => logger,
  };
  return logger;
}

function describeDb(r: AuditVerifyResult): string[] {
  const lines: string[] = [];
  if (r.ok) {
    lines.push(`audit chain INTACT: ${r.checked} records checked`);
  } else {
    lines.push(
      `audit chain BROKEN at record ${r.firstBroken!.seq}: ${
        r.firstBroken!.reason
      }`,
      `  ${r.checked} records before it checked out`,
    );
  }
  if (r.head)
    lines.push(
      `  head: seq ${r.head.seq}, hash ${r.head.hash}, at ${r.head.at}`,
    );
  lines.push(
    r.lastCheckpoint
      ? `  last checkpoint checked: seq ${r.lastCheckpoint.seq}, signed ${
          r.lastCheckpoint.at
        }, ${r.lastCheckpoint.valid ? 'valid' : 'INVALID'}`
      : '  no signed checkpoint checked',
  );
  return lines;
}

function describeExport(file: string, r: AuditExportVerifyResult): string[] {
  const lines: string[] = [];
  lines.push(
    r.ok
      ? `export ${file} INTACT: ${r.records} records${
          r.fromSeq !== undefined ? ` (seq ${r.fromSeq}-${r.toSeq})` : ''
        }, ${r.links} links`
      : `export ${file} BROKEN at record ${r.firstBroken!.seq}: ${
          r.firstBroken!.reason
        }`,
  );
  if (r.checkpoint) {
    const sig = r.checkpoint.signatureValid;
    let signature = `not checked (${sig})`;
    if (sig === true) signature = 'valid';
    if (sig === false) signature = 'INVALID';
    lines.push(
      `  checkpoint: seq ${r.checkpoint.seq}, signed ${r.checkpoint.at}, signature ${signature}`,
    );
  }
  return lines;
}

/** Runs the verify command; returns the exit code. */
export async function runVerify(
  argv: string[],
  io: Output = {
    out: l => process.stdout.write(`${l}\n`),
    err: l => process.stderr.write(`${l}\n`),
  },
  cwd = process.env.INIT_CWD ?? process.cwd(),
): Promise<number> {
  const configArgs: string[] = [];
  let exportFile: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      io.out(VERIFY_USAGE);
      return 0;
    } else if (a === '--json') {
      json = true;
    } else if (a === '--config' || a === '--export') {
      const v = argv[++i];
      if (!v) {
        io.err(`${a} needs a file\n\n${VERIFY_USAGE}`);
        return 2;
      }
      if (a === '--config') configArgs.push('--config', path.resolve(cwd, v));
      else exportFile = path.resolve(cwd, v);
    } else {
      io.err(`unknown argument '${a}'\n\n${VERIFY_USAGE}`);
      return 2;
    }
  }

  let config: Config;
  try {
    const source = ConfigSources.default({
      argv: configArgs,
      rootDir: findRepoRoot(cwd),
      watch: false,
    });
    config = await ConfigSources.toConfig(source);
  } catch (e) {
    io.err(`could not read the configuration: ${(e as Error).message}`);
    return 2;
  }
  const signer = readCheckpointSigner(config, { requireSigningKey: false });

  if (exportFile) {
    try {
      const result = await verifyAuditExport(
        readAuditExportFile(exportFile),
        signer,
      );
      if (json) io.out(JSON.stringify(result, null, 2));
      else describeExport(exportFile, result).forEach(l => io.out(l));
      return result.ok ? 0 : 1;
    } catch (e) {
      io.err(`could not read ${exportFile}: ${(e as Error).message}`);
      return 2;
    }
  }

  const logger = consoleLogger(io);
  const client =
    config.getOptionalString('backend.database.plugin.audit.client') ??
    config.getOptionalString('backend.database.client');
  const connection = config.getOptional('backend.database.connection');
  if (
    client?.includes('sqlite') &&
    (connection === ':memory:' || connection === undefined)
  ) {
    io.err(
      'the configured database is SQLite in memory: it lives only inside a running backend; point --config at a file or Postgres database',
    );
    return 2;
  }
  const database = DatabaseManager.fromConfig(config).forPlugin('audit', {
    logger,
    lifecycle: { addStartupHook() {}, addShutdownHook() {} },
  });
  const knex = await database.getClient();
  try {
    if (!(await knex.schema.hasTable('audit_events'))) {
      io.err('this database has no audit trail (no audit_events table)');
      return 2;
    }
    const result = await verifyAuditTrail(knex, signer);
    if (json) io.out(JSON.stringify(result, null, 2));
    else describeDb(result).forEach(l => io.out(l));
    return result.ok ? 0 : 1;
  } catch (e) {
    io.err(`could not verify: ${(e as Error).message}`);
    return 2;
  } finally {
    await knex.destroy();
  }
}
