import { HeadlessTerminal } from '../__testUtils__/headless';
import { AsciicastParseError, formatClock, parseAsciicast } from './asciicast';
import { AsciicastPlayer, ReplayClock, ReplayState } from './AsciicastPlayer';

/** A clock the test moves by hand. */
class FakeClock implements ReplayClock {
  time = 0;
  private timers: Array<{ at: number; callback: () => void; id: number }> = [];
  private ids = 0;
  now = () => this.time;
  setTimeout = (callback: () => void, ms: number) => {
    const id = ++this.ids;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter(t => t.id !== id);
  };
  /** Advances time, running due timers in order. */
  advance(ms: number) {
    const end = this.time + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.time = due.at;
      due.callback();
    }
    this.time = end;
  }
}

/** oscar's break-glass session: the shell echoes what he types. */
const CAST = [
  JSON.stringify({ version: 2, width: 40, height: 6, timestamp: 1764410000 }),
  JSON.stringify([0.1, 'o', '/ # ']),
  JSON.stringify([1.0, 'i', 'l']),
  JSON.stringify([1.0, 'o', 'l']),
  JSON.stringify([1.2, 'i', 's']),
  JSON.stringify([1.2, 'o', 's']),
  JSON.stringify([1.5, 'i', '\r']),
  JSON.stringify([1.5, 'o', '\r\nbin  etc  usr\r\n/ # ']),
  JSON.stringify([2.0, 'r', '30x6']),
  JSON.stringify([62.0, 'o', 'exit\r\n']),
  '',
].join('\n');

function setup(text = CAST, idleTimeLimit?: number) {
  const screen = new HeadlessTerminal(80, 24);
  const clock = new FakeClock();
  const states: ReplayState[] = [];
  const sizes: string[] = [];
  const player = new AsciicastPlayer({
    cast: parseAsciicast(text, { idleTimeLimit }),
    clock,
    sink: {
      reset: (cols, rows) => {
        screen.term.reset();
        screen.term.resize(cols, rows);
        sizes.push(`${cols}x${rows}`);
      },
      write: screen.write,
      resize: (cols, rows) => {
        screen.term.resize(cols, rows);
        sizes.push(`${cols}x${rows}`);
      },
    },
    onChange: state => states.push(state),
  });
  return { screen, clock, states, player, sizes };
}

describe('parseAsciicast', () => {
  it('reads the header and events and shortens idle gaps when asked', () => {
    const cast = parseAsciicast(CAST);
    expect(cast.header.width).toBe(40);
    expect(cast.events).toHaveLength(9);
    expect(cast.duration).toBe(62);
    expect(parseAsciicast(CAST, { idleTimeLimit: 2 }).duration).toBe(4);
  });

  it('ignores a last line cut off mid-write and refuses anything else malformed', () => {
    const cut = `${CAST}[63.0, "o", "trunc`;
    expect(parseAsciicast(cut).events).toHaveLength(9);
    expect(() => parseAsciicast('{"version":1}')).toThrow(AsciicastParseError);
    expect(() => parseAsciicast('not json')).toThrow(
      'Recording line 1: the header is not JSON',
    );
    const broken = CAST.replace('[1.2, "i", "s"]'.replace(/ /g, ''), '{}');
    expect(() => parseAsciicast(broken)).toThrow(
      'Recording line 5: an event is [time, code, data]',
    );
    expect(() =>
      parseAsciicast(`${CAST.split('\n')[0]}\nbad\n[1,"o","x"]\n`),
    ).toThrow('Recording line 2: the event is not JSON');
  });

  it('formats clock times', () => {
    expect(formatClock(0)).toBe('00:00');
    expect(formatClock(62.9)).toBe('01:02');
    expect(formatClock(3725)).toBe('1:02:05');
  });
});

describe('AsciicastPlayer', () => {
  it('plays output at its time, never draws input, and stops at the end', async () => {
    const { screen, clock, player, sizes } = setup();
    player.play();
    clock.advance(1100);
    await screen.settled();
    expect(screen.lines()).toEqual(['/ # l']);
    clock.advance(500);
    await screen.settled();
    expect(screen.lines()).toEqual(['/ # ls', 'bin  etc  usr', '/ #']);
    expect(player.state).toMatchObject({ playing: true, ended: false });

    clock.advance(61_000);
    await screen.settled();
    expect(screen.lines()).toEqual(['/ # ls', 'bin  etc  usr', '/ # exit']);
    expect(player.state).toMatchObject({
      playing: false,
      ended: true,
      position: 62,
    });
    // The recorded resize was applied.
    expect(sizes).toEqual(['40x6', '30x6']);
  });

  it('pauses and resumes where it paused', async () => {
    const { screen, clock, player } = setup();
    player.play();
    clock.advance(1100);
    player.pause();
    expect(player.state.position).toBeCloseTo(1.1);
    clock.advance(10_000);
    await screen.settled();
    expect(screen.lines()).toEqual(['/ # l']);
    player.play();
    clock.advance(100);
    await screen.settled();
    expect(screen.lines()).toEqual(['/ # ls']);
  });

  it('seeks backwards and forwards by redrawing up to the new position', async () => {
    const { screen, player, sizes } = setup();
    player.seek(1.6);
    await screen.settled();
    expect(screen.lines()).toEqual(['/ # ls', 'bin  etc  usr', '/ #']);
    player.seek(1.1);
    await screen.settled();
    expect(screen.lines()).toEqual(['/ # l']);
    player.seek(1000);
    await screen.settled();
    expect(screen.lines().at(-1)).toBe('/ # exit');
    expect(player.state).toMatchObject({ position: 62, ended: true });
    expect(sizes.at(-1)).toBe('30x6');
    // Play at the end starts again from the beginning.
    player.play();
    await screen.settled();
    expect(screen.lines()).toEqual([]);
  });

  it('plays faster and slower on request, keeping its place', async () => {
    const { screen, clock, player, states } = setup();
    player.setSpeed(4);
    player.play();
    clock.advance(300); // 1.2 s of recording
    await screen.settled();
    expect(screen.lines()).toEqual(['/ # ls']);
    player.setSpeed(0.5);
    clock.advance(500); // + 0.25 s: 1.45, before the Enter at 1.5
    await screen.settled();
    expect(screen.lines()).toEqual(['/ # ls']);
    clock.advance(200); // + 0.1 s
    await screen.settled();
    expect(screen.lines()).toContain('bin  etc  usr');
    expect(states.at(-1)).toMatchObject({ speed: 0.5, playing: true });
    // The position is reported while it plays, not only at events.
    const before = states.length;
    clock.advance(1000);
    expect(states.length - before).toBeGreaterThanOrEqual(4);
  });
});
