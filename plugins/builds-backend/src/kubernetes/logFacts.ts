import { ScanFinding, ScanResult } from '@fincloud/plugin-builds-common';
import type { Severity } from '../config';

/** What a build's log says that the build record needs; persisted with the log cursor. */
export interface LogFacts {
  /** From the clone step: `HEAD is now at <sha> <subject>`. */
  commit?: string;
  /** From the build step: `Pushed <repository>@sha256:<digest>`. */
  pushed?: { repository: string; digest: string };
  /** `Built sha256:<digest> (not pushed)`. */
  builtDigest?: string;
  /** From the scan step's closing lines. */
  scan?: {
    counts: Record<Severity, number>;
    result: 'PASSED' | 'FAILED';
    findings: ScanFinding[];
  };
}

const HEAD = /HEAD is now at ([0-9a-f]{7,40})\b/;
const PUSHED = /(?:^|\] )Pushed (\S+)@sha256:([0-9a-f]{64})$/;
const BUILT = /^Built sha256:([0-9a-f]{64}) \(not pushed\)$/;
const SUMMARY = /^SCAN SUMMARY (.*)$/;
const SARIF = /^SARIF (\{.*\})\s*$/;
const FINDING_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** A SARIF 2.1.0 log's results as findings (info-level results are left out). */
export function findingsFromSarif(sarif: any): ScanFinding[] {
  const findings: ScanFinding[] = [];
  for (const run of sarif?.runs ?? []) {
    for (const result of run?.results ?? []) {
      const severity = String(
        result?.properties?.severity ?? '',
      ).toLowerCase() as ScanFinding['severity'];
      const level = result?.level;
      if (!FINDING_SEVERITIES.includes(severity as any)) continue;
      if (level !== 'error' && level !== 'warning' && level !== 'note')
        continue;
      const physical = result?.locations?.[0]?.physicalLocation;
      const uri = physical?.artifactLocation?.uri;
      const line = physical?.region?.startLine;
      findings.push({
        ruleId: String(result?.ruleId ?? 'unknown'),
        level,
        severity,
        message: String(result?.message?.text ?? ''),
        ...(uri ? { location: line ? `${uri}:${line}` : String(uri) } : {}),
      });
    }
  }
  return findings;
}

/**
 * Reads one log line of a step into the facts (the line is the container's
 * text without the timestamp). Returns true when it changed them.
 */
export function readFact(
  facts: LogFacts,
  container: string,
  line: string,
): boolean {
  if (container === 'clone') {
    if (!line.includes('HEAD is now at ')) return false;
    const m = HEAD.exec(line);
    if (m) {
      facts.commit = m[1];
      return true;
    }
  } else if (container === 'build') {
    if (!line.includes('Pushed ') && !line.startsWith('Built ')) return false;
    const pushed = PUSHED.exec(line);
    if (pushed) {
      facts.pushed = { repository: pushed[1], digest: `sha256:${pushed[2]}` };
      return true;
    }
    const built = BUILT.exec(line);
    if (built) {
      facts.builtDigest = `sha256:${built[1]}`;
      return true;
    }
  } else if (container === 'scan') {
    if (!line.startsWith('SCAN SUMMARY ') && !line.startsWith('SARIF '))
      return false;
    const summary = SUMMARY.exec(line);
    if (summary) {
      const values = Object.fromEntries(
        summary[1]
          .split(/\s+/)
          .map(kv => kv.split('='))
          .filter(kv => kv.length === 2),
      );
      facts.scan = {
        counts: {
          critical: Number(values.critical ?? 0),
          high: Number(values.high ?? 0),
          medium: Number(values.medium ?? 0),
          low: Number(values.low ?? 0),
        },
        result: values.result === 'FAILED' ? 'FAILED' : 'PASSED',
        findings: facts.scan?.findings ?? [],
      };
      return true;
    }
    const sarif = SARIF.exec(line);
    if (sarif) {
      try {
        const findings = findingsFromSarif(JSON.parse(sarif[1]));
        facts.scan = {
          counts: facts.scan?.counts ?? countBySeverity(findings),
          result: facts.scan?.result ?? 'PASSED',
          findings,
        };
        return true;
      } catch {
        return false;
      }
    }
  }
  return false;
}

export function countBySeverity(
  findings: ScanFinding[],
): Record<Severity, number> {
  const counts = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

const RANK: Record<Severity, number> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
};

/** Findings at or above the threshold: what fails the build unless waived. */
export function blockingFindings(
  findings: ScanFinding[],
  failOn: Severity,
): ScanFinding[] {
  return findings.filter(f => RANK[f.severity] <= RANK[failOn]);
}

/** The scan result as the API shows it, before any waiver. */
export function scanResultOf(
  facts: LogFacts['scan'],
  failOn: Severity,
): ScanResult | undefined {
  if (!facts) return undefined;
  const blocking = blockingFindings(facts.findings, failOn);
  return {
    status:
      blocking.length > 0 || facts.result === 'FAILED' ? 'failed' : 'passed',
    counts: facts.counts,
    threshold: failOn,
    findings: facts.findings,
  };
}
