import { HeadlessTerminal } from '../__testUtils__/headless';
import { LineEditor, LineEditorEvent, splitKeys } from './LineEditor';

const UP = '\x1b[A';
const DOWN = '\x1b[B';
const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';
const BACKSPACE = '\x7f';

function setup(cols = 80, prompt = '$ ') {
  const screen = new HeadlessTerminal(cols, 10);
  const editor = new LineEditor({ prompt, cols }, screen.write);
  const events: LineEditorEvent[] = [];
  const type = (data: string) => events.push(...editor.feed(data));
  editor.start();
  return { screen, editor, events, type };
}

describe('LineEditor', () => {
  it('echoes what is typed after the prompt and submits the line on Enter', async () => {
    const { screen, events, type } = setup();
    type('ls -l');
    await screen.settled();
    expect(screen.lines()).toEqual(['$ ls -l']);
    expect(screen.cursor()).toEqual({ row: 0, col: 7 });

    type('\r');
    await screen.settled();
    expect(events).toEqual([{ type: 'line', line: 'ls -l' }]);
    expect(screen.cursor()).toEqual({ row: 1, col: 0 });
  });

  it('erases with Backspace and inserts and deletes in the middle of the line', async () => {
    const { screen, editor, type } = setup();
    type('cat /etx/hosts');
    type(BACKSPACE.repeat(3));
    await screen.settled();
    expect(screen.lines()).toEqual(['$ cat /etx/ho']);

    // Go back to the typo and fix it.
    type(LEFT.repeat(3));
    type(BACKSPACE);
    type('c');
    type(RIGHT.repeat(5)); // two more than needed: stops at the end
    type('sts');
    await screen.settled();
    expect(editor.line).toBe('cat /etc/hosts');
    expect(screen.lines()).toEqual(['$ cat /etc/hosts']);
    expect(screen.cursor()).toEqual({ row: 0, col: 16 });

    type('\x01'); // Ctrl-A
    type('\x1b[3~'); // Delete
    await screen.settled();
    expect(screen.lines()).toEqual(['$ at /etc/hosts']);
    expect(screen.cursor()).toEqual({ row: 0, col: 2 });
  });

  it('walks the history with Up and Down and keeps the draft', async () => {
    const { screen, editor, events, type } = setup();
    type('ls\r');
    editor.resume();
    type('ps aux\r');
    editor.resume();
    type('top');
    type(UP);
    await screen.settled();
    expect(editor.line).toBe('ps aux');
    expect(screen.lines().at(-1)).toBe('$ ps aux');
    type(UP);
    type(UP); // already at the oldest
    await screen.settled();
    expect(screen.lines().at(-1)).toBe('$ ls');
    type(DOWN);
    type(DOWN);
    await screen.settled();
    expect(screen.lines().at(-1)).toBe('$ top');
    type('\r');
    expect(events.map(e => (e.type === 'line' ? e.line : e.type))).toEqual([
      'ls',
      'ps aux',
      'top',
    ]);
  });

  it('keeps what is typed while a command runs and replays it at the next prompt', async () => {
    const { screen, editor, events, type } = setup();
    // A pasted block: the first line is sent, the rest waits.
    type('ls\rps\rdf -h');
    expect(events).toEqual([{ type: 'line', line: 'ls' }]);
    expect(editor.waiting).toBe(true);
    screen.write('bin  etc\r\n');
    events.push(...editor.resume());
    expect(events.at(-1)).toEqual({ type: 'line', line: 'ps' });
    screen.write('PID USER\r\n');
    events.push(...editor.resume());
    await screen.settled();
    expect(screen.lines()).toEqual([
      '$ ls',
      'bin  etc',
      '$ ps',
      'PID USER',
      '$ df -h',
    ]);
    expect(editor.line).toBe('df -h');
  });

  it('asks to interrupt the running command on Ctrl-C and forgets the typeahead', () => {
    const { editor, events, type } = setup();
    type('top -b\r');
    type('ls');
    type('\x03');
    expect(events).toEqual([
      { type: 'line', line: 'top -b' },
      { type: 'interrupt' },
    ]);
    editor.resume();
    expect(editor.line).toBe('');
  });

  it('drops control characters, abandons the line on Ctrl-C and ends on Ctrl-D', async () => {
    const { screen, editor, events, type } = setup();
    type('ls\x00\x07\x1b[6~\u0085 -a');
    await screen.settled();
    expect(editor.line).toBe('ls -a');
    type('\x03');
    await screen.settled();
    expect(screen.lines()).toEqual(['$ ls -a^C', '$']);
    expect(editor.line).toBe('');
    expect(events).toEqual([]);
    type('\x04');
    expect(events).toEqual([{ type: 'eof' }]);
    type('ls\r');
    expect(events).toEqual([{ type: 'eof' }]);
  });

  it('does not submit an empty line', async () => {
    const { screen, events, type } = setup();
    type('   \r\r');
    await screen.settled();
    expect(events).toEqual([]);
    expect(screen.lines()).toEqual(['$', '$', '$']);
  });

  it('redraws lines that wrap across rows correctly', async () => {
    const cols = 20;
    const { screen, editor, type } = setup(cols, 'pod $ ');
    const long = 'cat /var/log/app/payment-gateway.log';
    type(long);
    await screen.settled();
    // 6 + 36 = 42 cells: three rows at 20 columns.
    expect(screen.lines()).toEqual([
      'pod $ cat /var/log/a',
      'pp/payment-gateway.l',
      'og',
    ]);
    expect(screen.cursor()).toEqual({ row: 2, col: 2 });

    // Back to the start and insert: every row is redrawn.
    type('\x01');
    type('sudo ');
    await screen.settled();
    expect(editor.line).toBe(`sudo ${long}`);
    expect(screen.lines()).toEqual([
      'pod $ sudo cat /var/',
      'log/app/payment-gate',
      'way.log',
    ]);
    expect(screen.cursor()).toEqual({ row: 0, col: 11 });
    // Erase back to fill exactly two rows: the cursor goes to the third row's start.
    type('\x05');
    type(BACKSPACE.repeat(7));
    await screen.settled();
    expect(screen.lines()).toEqual([
      'pod $ sudo cat /var/',
      'log/app/payment-gate',
    ]);
    expect(screen.cursor()).toEqual({ row: 2, col: 0 });
    type('\x15'); // Ctrl-U
    type('x');
    await screen.settled();
    expect(screen.lines()).toEqual(['pod $ x']);
  });

  it('splits input into keys: escape sequences whole, astral characters as one', () => {
    expect(splitKeys('a\x1b[Ab\x1b[3~\u{1F600}\r\n')).toEqual([
      'a',
      '\x1b[A',
      'b',
      '\x1b[3~',
      '\u{1F600}',
      '\r',
    ]);
  });
});
