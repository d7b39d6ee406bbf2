import {
  branchProblem,
  formatDuration,
  isValidCommit,
  shortDigest,
  toUserRef,
} from './format';

describe('format', () => {
  it('writes durations the way people read them', () => {
    expect(formatDuration(undefined)).toBe('—');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(450)).toBe('450 ms');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(65_000)).toBe('1 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
  });

  it('accepts the branch names git accepts, and says what is wrong otherwise', () => {
    for (const ok of [
      'main',
      'feature/sim-fail-build',
      'release/1.2',
      'fix_ABC-12',
    ]) {
      expect(branchProblem(ok)).toBeUndefined();
    }
    expect(branchProblem('  ')).toBe('A branch is required');
    for (const bad of [
      'a b',
      'a..b',
      '-x',
      '/x',
      'x/',
      'x.',
      'x.lock',
      'a@{1}',
      'a//b',
      'a~1',
      'a:b',
      '@',
    ]) {
      expect(branchProblem(bad)).toBe('Not a valid git branch name');
    }
  });

  it('takes 7 to 40 hex digits as a commit', () => {
    expect(isValidCommit('9f8e7d6')).toBe(true);
    expect(isValidCommit('9f8e7d6c5b4a39281706f5e4d3c2b1a098765432')).toBe(
      true,
    );
    expect(isValidCommit('9f8e7d')).toBe(false);
    expect(isValidCommit('main')).toBe(false);
  });

  it('makes a user ref of a bare name and keeps full refs', () => {
    expect(toUserRef('pete')).toBe('user:default/pete');
    expect(toUserRef('other/pete')).toBe('user:other/pete');
    expect(toUserRef('user:default/rob')).toBe('user:default/rob');
  });

  it('shortens a digest to 12 hex digits', () => {
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe(
      'sha256:abababababab',
    );
    expect(shortDigest(undefined)).toBeUndefined();
  });
});
