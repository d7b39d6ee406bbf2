/** Steps for images the module does not know: a test runner, or anything else. */
import {
  effectiveArgv,
  failed,
  ok,
  shellWords,
  type StepContext,
  type StepOutcome,
} from './context';
import { extraLine } from './run';
import type { Script } from './script';

/** Splits a `sh -c` script into its commands (newlines, `;`, `&&`). */
function scriptCommands(script: string): string[] {
  return script
    .split(/\n|;|&&/)
    .map(s => s.trim())
    .filter(s => s && !s.startsWith('#'));
}

function shellScript(argv: string[]): string | undefined {
  const shell = argv[0] ? /(^|\/)(ba|a|da)?sh$/.test(argv[0]) : false;
  const c = argv.indexOf('-c');
  return shell && c >= 0 ? argv[c + 1] : undefined;
}

export function isTestStep(ctx: StepContext): boolean {
  const cmd = effectiveArgv(ctx.argv).join(' ');
  return (
    /(^|[-_])tests?($|[-_])/.test(ctx.container.name) ||
    /\bmvn\b.*\b(test|verify)\b|\bgradlew?\b.*\btest\b|\bnpm (run )?test\b|\byarn test\b|\bjest\b|\bpytest\b|\bgo test\b/.test(
      cmd,
    )
  );
}

export function testStep(ctx: StepContext, out: Script): StepOutcome {
  const rng = ctx.rng;
  const cmd = effectiveArgv(ctx.argv).join(' ');
  const total = rng.int(80, 600);
  const skipped = rng.int(0, 4);
  if (cmd) out.line(`+ ${cmd}`, 20);
  if (/\bnpm\b|\byarn\b|\bjest\b/.test(cmd)) {
    const suites = Math.max(1, Math.round(total / 9));
    for (let i = 0; i < Math.min(suites, 12); i++) {
      out.line(
        `PASS src/${
          ['api', 'components', 'pages', 'utils'][i % 4]
        }/module${i}.test.ts`,
        120,
      );
    }
    out.block(ctx.extraLines, 1500, i => extraLine('node', i));
    if (ctx.fail) {
      out.line('FAIL src/pages/Transfers.test.tsx', 200);
      out.line('  ● Transfers › rejects an amount above the daily limit', 5);
      out.line('    expect(received).toBe(expected) // Object.is equality', 5);
      out.line('    Expected: 422', 5);
      out.line('    Received: 200', 5);
      out.line(
        `Test Suites: 1 failed, ${suites - 1} passed, ${suites} total`,
        30,
      );
      out.line(
        `Tests:       1 failed, ${skipped} skipped, ${
          total - 1 - skipped
        } passed, ${total} total`,
        5,
      );
      return failed();
    }
    out.line(`Test Suites: ${suites} passed, ${suites} total`, 30);
    out.line(
      `Tests:       ${skipped} skipped, ${
        total - skipped
      } passed, ${total} total`,
      5,
    );
    out.line(`Time:        ${(3 + rng.next() * 20).toFixed(3)} s`, 5);
    return ok;
  }
  out.line('[INFO] Scanning for projects...', 200);
  out.line('[INFO] --- surefire:3.2.5:test (default-test) ---', 300);
  out.line(
    '[INFO] -------------------------------------------------------',
    20,
  );
  out.line('[INFO]  T E S T S', 5);
  out.line('[INFO] -------------------------------------------------------', 5);
  out.block(ctx.extraLines, 1500, i => extraLine('java', i));
  const classes = Math.min(12, Math.max(1, Math.round(total / 20)));
  for (let i = 0; i < classes; i++) {
    out.line(
      `[INFO] Tests run: ${Math.round(
        total / classes,
      )}, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: ${(
        rng.next() * 3
      ).toFixed(3)} s -- in com.fincloud.Module${i}Test`,
      150,
    );
  }
  if (ctx.fail) {
    out.line(
      '[ERROR] Tests run: 14, Failures: 1, Errors: 0, Skipped: 0 <<< FAILURE! -- in com.fincloud.payments.CaptureServiceTest',
      200,
    );
    out.line(
      '[ERROR] com.fincloud.payments.CaptureServiceTest.rejectsDuplicateIdempotencyKey -- Time elapsed: 0.041 s <<< FAILURE!',
      5,
    );
    out.line(
      'org.opentest4j.AssertionFailedError: expected: <409> but was: <201>',
      5,
    );
    out.line(
      `[ERROR] Tests run: ${total}, Failures: 1, Errors: 0, Skipped: ${skipped}`,
      30,
    );
    out.line('[INFO] BUILD FAILURE', 5);
    return failed();
  }
  out.line(
    `[INFO] Tests run: ${total}, Failures: 0, Errors: 0, Skipped: ${skipped}`,
    50,
  );
  out.line('[INFO] BUILD SUCCESS', 5);
  return ok;
}

/** Echoes the command (set -x style for scripts), prints what `echo` would, succeeds. */
export function genericStep(ctx: StepContext, out: Script): StepOutcome {
  const script = shellScript(ctx.argv);
  const commands =
    script !== undefined ? scriptCommands(script) : [ctx.argv.join(' ')];
  if (commands.length === 0 || (commands.length === 1 && commands[0] === '')) {
    out.line(`+ (entrypoint of ${ctx.container.image ?? 'the image'})`, 50);
  }
  for (const cmd of commands) {
    if (!cmd) continue;
    out.line(`+ ${cmd}`, 60);
    const words = shellWords(cmd);
    if (words[0] === 'echo' || words[0] === 'printf') {
      const text = words
        .slice(1)
        .filter(w => w !== '-n' && w !== '-e')
        .join(' ')
        .replace(/\$\{?(\w+)\}?/g, (_, v: string) => ctx.env[v] ?? '');
      out.line(words[0] === 'printf' ? text.replace(/\\n$/, '') : text, 10);
    }
  }
  out.block(ctx.extraLines, 1000, i => extraLine('generic', i));
  if (ctx.fail) {
    const last = commands[commands.length - 1] ?? ctx.argv.join(' ');
    out.line(`error: command "${last}" exited with code 1`, 300);
    return failed();
  }
  return ok;
}
