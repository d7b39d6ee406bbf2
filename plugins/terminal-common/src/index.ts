/**
 * The fincloud terminal's shared parts: the API types, the permissions,
 * the restricted-mode command-line parser and allow-list policy evaluator
 * (pure code, the same in the backend and the browser) and secret masking.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './mask';
export * from './entity';
export * from './policy/types';
export { parseCommandLine } from './policy/parse';
export type { ParsedLine } from './policy/parse';
export {
  evaluateArgv,
  evaluateCommandLine,
  normalisePath,
} from './policy/evaluate';
export type { LineEvaluation, EvaluationContext } from './policy/evaluate';
export {
  DEFAULT_TERMINAL_POLICIES,
  DEFAULT_TERMINAL_POLICY_NAME,
} from './policy/defaults';
export { policyHint } from './policy/hint';
export { TERMINAL_RULES } from './policy/rules';
