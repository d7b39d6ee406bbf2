import { ConfigReader } from '@backstage/config';
import { evaluateCommandLine } from '@fincloud/plugin-terminal-common';
import { readTerminalConfig } from './config';

const read = (terminal: object) =>
  readTerminalConfig(new ConfigReader({ fincloud: { terminal } }));

describe('readTerminalConfig', () => {
  it('has safe defaults', () => {
    const c = read({});
    expect(c.defaultPolicy).toBe('standard');
    expect([...c.policies.keys()]).toEqual(['standard', 'minimal']);
    expect(c.limits).toMatchObject({ idleMs: 15 * 60_000, maxSessionsPerUser: 3, maxSessionsPerEntity: 10, commandTimeoutMs: 60_000 });
    expect(c.shell).toMatchObject({ maxMs: 15 * 60_000, minJustificationLength: 20, command: ['/bin/sh'], approvalNamespaces: [] });
    expect(c.restricted).toEqual({ maxMs: 60 * 60_000, record: true });
    expect(c.masking.podSecrets).toBe(true);
  });

  it('builds policies that extend others, add commands and remove some', () => {
    const c = read({
      defaultPolicy: 'payments',
      policies: {
        payments: {
          extends: 'standard',
          allowedPaths: ['/var/log/app'],
          commands: {
            curl: false,
            tar: {
              description: 'List an archive',
              exact: [['-tf', '/var/log/app/archive.tar']],
            },
          },
        },
        strict: { extends: 'payments', selectableByAnnotation: false },
      },
      entityPolicies: [{ entityRef: 'Component:default/Payment-Gateway', policy: 'strict' }],
    });
    const p = c.policies.get('payments')!;
    expect(p.allowedPaths).toEqual(['/var/log/app']);
    expect(p.commands.curl).toBeUndefined();
    expect(evaluateCommandLine('tar -tf /var/log/app/archive.tar', p).decision.allowed).toBe(true);
    expect(evaluateCommandLine('tar -xf /var/log/app/archive.tar', p).decision.rule).toBe('args-not-allowed:tar');
    expect(evaluateCommandLine('cat /opt/app/config/application.yaml', p).decision.allowed).toBe(false);
    expect(c.policies.get('strict')).toMatchObject({ selectableByAnnotation: false, allowedPaths: ['/var/log/app'] });
    expect(c.entityPolicies.get('component:default/payment-gateway')).toBe('strict');
  });

  it.each([
    [{ policies: { a: { extends: 'b' }, b: { extends: 'a' } } }, /extend each other in a circle/],
    [{ policies: { a: { extends: 'nope' } } }, /no policy "nope"/],
    [{ policies: { a: { commands: { ls: { description: 'x', operands: ['(unclosed'] } } } } }, /not RE2 syntax/],
    [{ policies: { a: { commands: { ls: { description: 'x', sudo: true } } } } }, /commands\.ls/],
    [{ policies: { a: { commands: { 'rm -rf': { description: 'x' } } } } }, /not a command name/],
    [{ policies: { a: { allowedPaths: ['var/log'] } } }, /must be absolute/],
    [{ policies: { a: { allowedPaths: ['/var/../etc'] } } }, /must be absolute/],
    [{ defaultPolicy: 'nope' }, /defaultPolicy: no policy "nope"/],
    [{ entityPolicies: [{ entityRef: 'component:default/x', policy: 'nope' }] }, /entityPolicies\[0\]\.policy: no policy "nope"/],
    [{ limits: { idleMinutes: 0 } }, /idleMinutes must be a positive number/],
    [{ shell: { command: [] } }, /shell.command must not be empty/],
    [{ masking: { patterns: ['(?<=x)'] } }, /masking.patterns/],
  ])('stops the backend on %j', (terminal, message) => {
    expect(() => read(terminal)).toThrow(message);
  });
});
