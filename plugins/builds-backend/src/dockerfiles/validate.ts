import { DockerfileParser } from 'dockerfile-ast';
import { validate as lint } from 'dockerfile-utils';
import { DockerfileDiagnostic } from '@fincloud/plugin-builds-common';

/** Largest Dockerfile fincloud stores or generates (64 KiB). */
export const MAX_DOCKERFILE_BYTES = 64 * 1024;

const IMAGE_LIKE = /[:/@.]/;

/**
 * Validates a Dockerfile with dockerfile-utils (the parser and linter behind
 * the Docker language server) plus the checks it lacks:
 * - `COPY --from=<name>` naming no earlier stage (dockerfile-utils misses it);
 *   a name with `:`, `/`, `@` or `.` is an image reference and allowed;
 * - `COPY --from=<n>` with a stage index that is not an earlier stage;
 * - a warning when the final stage never sets `USER` (the image runs as root).
 * Lines are 1-based, sorted; errors block saving and building.
 */
export function validateDockerfile(content: string): DockerfileDiagnostic[] {
  const diagnostics: DockerfileDiagnostic[] = [];
  if (Buffer.byteLength(content, 'utf8') > MAX_DOCKERFILE_BYTES) {
    return [
      {
        line: 1,
        severity: 'error',
        message: `The Dockerfile is larger than ${
          MAX_DOCKERFILE_BYTES / 1024
        } KiB`,
      },
    ];
  }
  for (const d of lint(content)) {
    diagnostics.push({
      line: d.range.start.line + 1,
      severity: d.severity === 2 ? 'warning' : 'error',
      message: typeof d.message === 'string' ? d.message : d.message.value,
    });
  }

  const dockerfile = DockerfileParser.parse(content);
  const froms = dockerfile.getFROMs();
  const stageNames = new Map<string, number>();
  froms.forEach((from, index) => {
    const name = from.getBuildStage();
    if (name) stageNames.set(name.toLowerCase(), index);
  });
  const stageOfLine = (line: number) => {
    let stage = -1;
    froms.forEach((from, index) => {
      if (from.getRange().start.line <= line) stage = index;
    });
    return stage;
  };

  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() !== 'COPY') continue;
    const flag = (instruction as any).getFromFlag?.() as
      | { getValue(): string | null }
      | null
      | undefined;
    const value = flag?.getValue()?.trim();
    if (!value) continue;
    const line = instruction.getRange().start.line;
    const current = stageOfLine(line);
    const stages = [...stageNames.keys()];
    if (/^\d+$/.test(value)) {
      if (Number(value) >= current) {
        diagnostics.push({
          line: line + 1,
          severity: 'error',
          message: `COPY --from=${value}: stage ${value} is not an earlier stage (this is stage ${current})`,
        });
      }
      continue;
    }
    if (IMAGE_LIKE.test(value)) continue;
    const index = stageNames.get(value.toLowerCase());
    if (index === undefined) {
      diagnostics.push({
        line: line + 1,
        severity: 'error',
        message: `COPY --from=${value}: no stage is named "${value}"${
          stages.length
            ? ` (stages: ${stages.join(', ')})`
            : ' (no stage has a name; add AS <name> to a FROM)'
        }`,
      });
    } else if (index >= current) {
      diagnostics.push({
        line: line + 1,
        severity: 'error',
        message: `COPY --from=${value}: stage "${value}" is not an earlier stage`,
      });
    }
  }

  if (froms.length > 0) {
    const last = froms[froms.length - 1].getRange().start.line;
    const setsUser = dockerfile
      .getInstructions()
      .some(i => i.getKeyword() === 'USER' && i.getRange().start.line > last);
    if (!setsUser) {
      diagnostics.push({
        line: last + 1,
        severity: 'warning',
        message:
          'The final stage sets no USER: the container will run as root. Add e.g. USER 10001.',
      });
    }
  }

  return diagnostics.sort(
    (a, b) => a.line - b.line || a.severity.localeCompare(b.severity),
  );
}

/** Whether the diagnostics block building (any error). */
export function hasErrors(diagnostics: DockerfileDiagnostic[]): boolean {
  return diagnostics.some(d => d.severity === 'error');
}
