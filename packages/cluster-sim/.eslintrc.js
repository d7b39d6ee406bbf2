// The simulator must never start a host process: nothing under src/ may
// import child_process or worker_threads (or reach them through require or
// process.binding), except src/cli/, the start script that launches the real
// Prometheus and Alertmanager binaries next to the simulator.
const hostProcessModules = [
  'child_process',
  'node:child_process',
  'worker_threads',
  'node:worker_threads',
];
const message =
  'The cluster simulator never starts host processes (see README "Escape guarantees"); only src/cli/ may.';

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
    {
      // The exec emulator works on its in-memory filesystem only: no host files either.
      files: ['src/exec/**'],
      excludedFiles: ['src/exec/**/*.test.*'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: [
              ...hostProcessModules,
              'fs',
              'node:fs',
              'fs/promises',
              'node:fs/promises',
            ].map(name => ({
              name,
              message:
                'The exec emulator never touches host processes or host files (src/exec works on its in-memory filesystem).',
            })),
            patterns: ['*.test*'],
          },
        ],
      },
    },
    {
      // Tests only: the escape suite imports child_process and worker_threads to spy on them and prove
      // they are never called; the traffic test runs the real promtool on the metrics text.
      files: ['src/exec/escape.test.ts', 'src/traffic/*.test.ts'],
      rules: {
        'no-restricted-imports': ['error', { patterns: ['*.stories*'] }],
      },
    },
  ],
});
