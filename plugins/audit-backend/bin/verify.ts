/*
 * yarn workspace @fincloud/plugin-audit-backend verify [--config <file>] [--export <file>] [--json]
 * See src/cli/verifyCommand.ts.
 */
import { runVerify } from '../src/cli/verifyCommand';

runVerify(process.argv.slice(2)).then(
  code => process.exit(code),
  error => {
    process.stderr.write(`verify failed: ${error?.stack ?? error}\n`);
    process.exit(2);
  },
);
