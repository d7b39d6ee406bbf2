// The simulator must never start a host process: nothing under src/ may
// import child_process or worker_threads (or reach them through require or
// process.binding), except src/cli/, the start script that launches the real
// Prometheus and Alertmanager binaries next to the simulator.
const hostProcessModules = ['child_process', 'node:child_process', 'worker_threads', 'node:worker_threads'];
const message = 'The cluster simulator never starts host processes (see README "Escape guarantees"); only src/cli/ may.';

module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  restrictedImports: hostProcessModules.map(name => ({ name, message })),
  restrictedSyntax: [
    {
      selector: `CallExpression[callee.name='require'][arguments.0.value=/^(node:)?(child_process|worker_threads)$/]`,
      message,
    },
    {
      selector: `ImportExpression[source.value=/^(node:)?(child_process|worker_threads)$/]`,
      message,
    },
    {
      selector: `MemberExpression[object.name='process'][property.name=/^(binding|_linkedBinding|dlopen)$/]`,
      message,
    },
  ],
  overrides: [
    {
      files: ['src/cli/**'],
      rules: {
        'no-restricted-imports': ['error', { patterns: ['*.test*'] }],
        'no-restricted-syntax': 'off',
      },
    },
  ],
});
