import { TERMINAL_CLOSE_CODES } from './types';
import {
  terminalExecPermission,
  terminalPermissions,
  terminalSessionsReadPermission,
  terminalShellPermission,
} from './permissions';

describe('terminal permissions', () => {
  it('are resource permissions on catalog entities with the names the policy maps', () => {
    expect(terminalPermissions.map(p => p.name)).toEqual([
      'terminal.exec',
      'terminal.shell',
      'terminal.sessions.read',
      'terminal.sessions.terminate',
    ]);
    for (const p of terminalPermissions) {
      expect(p).toMatchObject({ type: 'resource', resourceType: 'catalog-entity' });
    }
    expect(terminalExecPermission.attributes.action).toBe('create');
    expect(terminalShellPermission.attributes.action).toBe('create');
    expect(terminalSessionsReadPermission.attributes.action).toBe('read');
  });

  it('has the close codes of the API', () => {
    expect(TERMINAL_CLOSE_CODES).toMatchObject({
      unauthenticated: 4401,
      notAllowed: 4403,
      timeout: 4408,
      tooManySessions: 4409,
      terminated: 4410,
      recorderFailed: 4500,
    });
  });
});
