/**
 * A static-analysis / vulnerability scan step. Prints the tool's usual
 * progress and findings, then two machine-readable closing lines:
 *
 *   SCAN SUMMARY tool=<name> critical=<n> high=<n> medium=<n> low=<n> info=<n> threshold=<level> result=<PASSED|FAILED>
 *   SARIF <one-line SARIF 2.1.0 log>
 */
import {
  BUILDLOG_ANNOTATIONS,
  effectiveArgv,
  failed,
  ok,
  type StepContext,
  type StepOutcome,
} from './context';
import type { Script } from './script';
import { createRandom, type Random } from './random';
import { commitFor } from './clone';

export const SEVERITIES = [
  'critical',
  'high',
  'medium',
  'low',
  'info',
] as const;
export type Severity = (typeof SEVERITIES)[number];

type Flavour = 'semgrep' | 'eslint' | 'trivy';

interface Rule {
  id: string;
  message: string;
  java: string;
  node: string;
}

const RULES: Record<Severity, Rule[]> = {
  critical: [
    {
      id: 'generic.secrets.security.detected-private-key',
      message:
        'Private Key detected. This is a sensitive credential and should not be hardcoded.',
      java: 'src/main/resources/keys/signing.pem',
      node: 'config/keys/signing.pem',
    },
    {
      id: 'generic.secrets.security.detected-aws-access-key-id-value',
      message: 'AWS Access Key ID detected in source.',
      java: 'src/main/resources/application-prod.yaml',
      node: 'src/config/production.js',
    },
  ],
  high: [
    {
      id: 'java.lang.security.audit.sqli.jdbc-sqli',
      message:
        'Detected a formatted string in a SQL statement. This could lead to SQL injection.',
      java: 'src/main/java/com/fincloud/payments/PaymentRepository.java',
      node: 'src/db/payments.js',
    },
    {
      id: 'javascript.lang.security.detect-child-process',
      message:
        'Detected calls to child_process from a function argument. This could lead to command injection.',
      java: 'src/main/java/com/fincloud/ops/ReportExporter.java',
      node: 'src/routes/export.js',
    },
    {
      id: 'java.lang.security.audit.xxe.documentbuilderfactory-disallow-doctype-decl-missing',
      message:
        'DOCTYPE declarations are enabled for this DocumentBuilderFactory. This is vulnerable to XML external entity attacks.',
      java: 'src/main/java/com/fincloud/iso20022/Pain001Parser.java',
      node: 'src/iso20022/parser.js',
    },
    {
      id: 'java.lang.security.audit.object-deserialization',
      message:
        'Found object deserialization using ObjectInputStream. Deserializing untrusted data can lead to remote code execution.',
      java: 'src/main/java/com/fincloud/cache/SessionCodec.java',
      node: 'src/cache/session.js',
    },
  ],
  medium: [
    {
      id: 'java.lang.security.audit.crypto.use-of-md5',
      message: 'Detected MD5 hash algorithm which is considered insecure.',
      java: 'src/main/java/com/fincloud/util/Checksums.java',
      node: 'src/util/checksum.js',
    },
    {
      id: 'javascript.express.security.audit.express-cookie-settings-missing-secure',
      message:
        'Session middleware settings: `secure` not set. It ensures the browser only sends the cookie over HTTPS.',
      java: 'src/main/java/com/fincloud/web/CookieConfig.java',
      node: 'src/server.js',
    },
    {
      id: 'java.spring.security.audit.spring-csrf-disabled',
      message:
        'CSRF protection is disabled for this configuration. This is a security risk.',
      java: 'src/main/java/com/fincloud/web/SecurityConfig.java',
      node: 'src/middleware/security.js',
    },
    {
      id: 'generic.cors.wildcard-origin',
      message: 'CORS policy allows any origin (*).',
      java: 'src/main/java/com/fincloud/web/CorsConfig.java',
      node: 'src/middleware/cors.js',
    },
    {
      id: 'java.lang.security.audit.crlf-injection-logs',
      message:
        'When data from an untrusted source is put into a logger it may forge log entries.',
      java: 'src/main/java/com/fincloud/payments/CaptureController.java',
      node: 'src/routes/capture.js',
    },
  ],
  low: [
    {
      id: 'java.lang.best-practice.hardcoded-timeout',
      message: 'Hardcoded timeout value; prefer configuration.',
      java: 'src/main/java/com/fincloud/ledger/LedgerClient.java',
      node: 'src/clients/ledger.js',
    },
    {
      id: 'javascript.lang.best-practice.leftover-debugging',
      message: 'Debugging statement left in the code.',
      java: 'src/main/java/com/fincloud/fx/RateCache.java',
      node: 'src/fx/rates.js',
    },
    {
      id: 'generic.ci.security.missing-pinned-digest',
      message: 'Base image is referenced by tag, not by digest.',
      java: 'Dockerfile',
      node: 'Dockerfile',
    },
  ],
  info: [
    {
      id: 'generic.todo.todo-comment',
      message: 'TODO comment found.',
      java: 'src/main/java/com/fincloud/payments/RefundService.java',
      node: 'src/routes/refund.js',
    },
  ],
};

const SARIF_LEVEL: Record<Severity, string> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'none',
};

const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  info: '0.0',
};

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  file: string;
  line: number;
}

/** `"high=2,medium=5"` → counts per severity; unknown keys are ignored. */
export function parseFindingCounts(
  value: string | undefined,
): Partial<Record<Severity, number>> | undefined {
  if (!value) return undefined;
  const counts: Partial<Record<Severity, number>> = {};
  for (const part of value.split(/[,;\s]+/)) {
    const m = /^(\w+)\s*[=:]\s*(\d+)$/.exec(part.trim());
    if (m && (SEVERITIES as readonly string[]).includes(m[1].toLowerCase())) {
      counts[m[1].toLowerCase() as Severity] = Math.min(Number(m[2]), 10000);
    }
  }
  return counts;
}

function flavourOf(ctx: StepContext): Flavour {
  const s = `${ctx.container.image} ${ctx.container.name} ${ctx.argv.join(
    ' ',
  )}`.toLowerCase();
  if (/trivy|grype|snyk/.test(s)) return 'trivy';
  if (/eslint|oxlint|biome/.test(s)) return 'eslint';
  return 'semgrep';
}

function makeFindings(
  counts: Record<Severity, number>,
  language: 'java' | 'node',
  rng: Random,
): Finding[] {
  const findings: Finding[] = [];
  for (const sev of SEVERITIES) {
    const pool = RULES[sev];
    for (let i = 0; i < counts[sev]; i++) {
      const rule = pool[(i + rng.int(0, pool.length - 1)) % pool.length];
      findings.push({
        ruleId: rule.id,
        severity: sev,
        message: rule.message,
        file: rule[language],
        line: rng.int(12, 240),
      });
    }
  }
  return findings;
}

export function sarifLog(tool: string, version: string, findings: Finding[]) {
  const ruleIds = [...new Set(findings.map(f => f.ruleId))];
  return {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: {
          driver: {
            name: tool,
            version,
            rules: ruleIds.map(id => {
              const f = findings.find(x => x.ruleId === id)!;
              return {
                id,
                shortDescription: { text: f.message },
                properties: {
                  'security-severity': SECURITY_SEVERITY[f.severity],
                },
              };
            }),
          },
        },
        results: findings.map(f => ({
          ruleId: f.ruleId,
          level: SARIF_LEVEL[f.severity],
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file },
                region: { startLine: f.line },
              },
            },
          ],
          properties: { severity: f.severity },
        })),
      },
    ],
  };
}

const rank = (s: string) => {
  const i = (SEVERITIES as readonly string[]).indexOf(s);
  return i < 0 ? Number.POSITIVE_INFINITY : i;
};

export function scanStep(
  ctx: StepContext,
  out: Script,
  language: 'java' | 'node',
): StepOutcome {
  const rng = ctx.rng;
  const flavour = flavourOf(ctx);
  const annotations = ctx.pod.metadata?.annotations ?? {};
  const requested = parseFindingCounts(
    annotations[BUILDLOG_ANNOTATIONS.scanFindings],
  );
  const counts: Record<Severity, number> = {
    critical: 0,
    high: 0,
    medium: 0,
    low: 0,
    info: 0,
    ...(requested ?? { low: rng.int(0, 2), info: rng.int(0, 3) }),
  };
  if (ctx.fail) counts.critical += 1;
  const threshold = (ctx.env.SCAN_FAIL_ON ?? 'high').toLowerCase();
  // Which rules fire (and where) depends on the code scanned, not on the pod:
  // the same commit yields the same findings, so a waiver for them holds when
  // the build is re-run.
  const findings = makeFindings(
    counts,
    language,
    createRandom(`scan|${ctx.git.url}|${commitFor(ctx)}`),
  );
  const files = rng.int(120, 480);
  const words = effectiveArgv(ctx.argv);
  if (words !== ctx.argv || words.length)
    out.line(`+ ${words.join(' ')}`.trim(), 20);

  let tool: string;
  let version: string;
  if (flavour === 'semgrep') {
    tool = 'semgrep';
    version = '1.85.0';
    const rules = rng.int(280, 1100);
    out.line(`Loading rules from registry...`, 300);
    out.line(
      `Scanning ${files} files (only git-tracked) with ${rules} Code rules:`,
      400,
    );
    out.line('', 5);
    out.line('  Language      Rules   Files          Origin      Rules', 5);
    out.line(' ─────────────────────────────        ───────────────────', 5);
    out.line(
      `  ${language === 'java' ? 'java ' : 'js   '}         ${String(
        Math.round(rules * 0.6),
      ).padStart(5)}   ${String(Math.round(files * 0.8)).padStart(
        5,
      )}          Community   ${String(rules).padStart(5)}`,
      5,
    );
    out.line(
      `  yaml          ${String(Math.round(rules * 0.1)).padStart(
        5,
      )}   ${String(Math.round(files * 0.1)).padStart(5)}`,
      5,
    );
    out.line(
      `  dockerfile    ${String(Math.round(rules * 0.03)).padStart(5)}       1`,
      5,
    );
    out.wait(900);
    let lastFile = '';
    for (const f of findings) {
      if (f.file !== lastFile) {
        out.line('', 5);
        out.line(`    ${f.file}`, 5);
        lastFile = f.file;
      }
      out.line(`   ❯❱ ${f.ruleId}`, 5);
      out.line(`          [${f.severity.toUpperCase()}] ${f.message}`, 5);
      out.line(`          ${String(f.line).padStart(4)}┆ …`, 5);
    }
    out.line('', 50);
    out.line(
      `Ran ${rules} rules on ${files} files: ${findings.length} finding${
        findings.length === 1 ? '' : 's'
      }.`,
      50,
    );
  } else if (flavour === 'eslint') {
    tool = 'eslint';
    version = '9.9.1';
    out.wait(1200);
    let lastFile = '';
    for (const f of findings) {
      if (f.file !== lastFile) {
        out.line('', 5);
        out.line(`/workspace/${f.file}`, 5);
        lastFile = f.file;
      }
      const level = rank(f.severity) <= 1 ? 'error  ' : 'warning';
      out.line(
        `  ${f.line}:${rng.int(1, 60)}  ${level}  ${
          f.message
        }  security/${f.ruleId.split('.').pop()}`,
        5,
      );
    }
    const errors = findings.filter(f => rank(f.severity) <= 1).length;
    if (findings.length) {
      out.line('', 5);
      out.line(
        `✖ ${findings.length} problem${
          findings.length === 1 ? '' : 's'
        } (${errors} error${errors === 1 ? '' : 's'}, ${
          findings.length - errors
        } warning${findings.length - errors === 1 ? '' : 's'})`,
        30,
      );
    }
    out.line(`SARIF report written to /workspace/reports/eslint.sarif`, 30);
  } else {
    tool = 'trivy';
    version = '0.55.2';
    out.line(`INFO\t[vuln] Vulnerability scanning is enabled`, 100);
    out.line(`INFO\t[secret] Secret scanning is enabled`, 10);
    out.line(
      `INFO\tNumber of language-specific files\tnum=${rng.int(1, 4)}`,
      900,
    );
    out.line(
      `INFO\t[${
        language === 'java' ? 'jar' : 'npm'
      }] Detecting vulnerabilities...`,
      300,
    );
    out.line('', 5);
    out.line(
      `Total: ${findings.length} (${SEVERITIES.map(
        s => `${s.toUpperCase()}: ${counts[s]}`,
      ).join(', ')})`,
      5,
    );
    for (const f of findings) {
      out.line(
        `│ ${f.file} │ ${f.ruleId} │ ${f.severity.toUpperCase().padEnd(8)} │ ${
          f.message
        }`,
        5,
      );
    }
  }

  const blocking = findings.filter(f => rank(f.severity) <= rank(threshold));
  const failing = (threshold !== 'none' && blocking.length > 0) || !!ctx.fail;
  if (failing) {
    out.line(
      `error: ${blocking.length} finding(s) at or above '${threshold}' (SCAN_FAIL_ON=${threshold}); failing the build`,
      20,
    );
  }
  out.line(
    `SCAN SUMMARY tool=${tool} ${SEVERITIES.map(s => `${s}=${counts[s]}`).join(
      ' ',
    )} threshold=${threshold} result=${failing ? 'FAILED' : 'PASSED'}`,
    10,
  );
  out.line(
    `SARIF ${JSON.stringify(sarifLog(tool, version, findings.slice(0, 1000)))}`,
    5,
  );
  return failing ? failed() : ok;
}
