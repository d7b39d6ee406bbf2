import { Asciicast, parseSize } from './asciicast';

/** Where the player draws: an xterm.js terminal in the portal. */
export interface ReplaySink {
  /** Clears everything and sets the size (start of the recording, or a seek). */
  reset(cols: number, rows: number): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
}

/** Time and timers; tests pass a fake. */
export interface ReplayClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ReplayState {
  /** Seconds into the recording. */
  position: number;
  duration: number;
  playing: boolean;
  speed: number;
  ended: boolean;
}

const realClock: ReplayClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: handle => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** The position is reported at least this often while playing (ms of real time). */
const PROGRESS_INTERVAL_MS = 200;

/**
 * Plays an asciicast recording into a terminal: play, pause, seek and speed.
 * Output events are written at their time (divided by the speed); input
 * events are not drawn (the terminal's echo already shows what was typed);
 * resize events resize the terminal. A seek redraws from the start up to the
 * new position in one write, so seeking anywhere is quick.
 */
export class AsciicastPlayer {
  private readonly cast: Asciicast;
  private readonly sink: ReplaySink;
  private readonly clock: ReplayClock;
  private readonly onChange: (state: ReplayState) => void;
  /** Index of the next event to apply. */
  private next = 0;
  private positionAtStart = 0;
  private wallAtStart = 0;
  private timer: unknown;
  private isPlaying = false;
  private currentSpeed = 1;
  private currentPosition = 0;

  constructor(options: {
    cast: Asciicast;
    sink: ReplaySink;
    clock?: ReplayClock;
    onChange?: (state: ReplayState) => void;
  }) {
    this.cast = options.cast;
    this.sink = options.sink;
    this.clock = options.clock ?? realClock;
    this.onChange = options.onChange ?? (() => {});
    this.sink.reset(this.cast.header.width, this.cast.header.height);
    this.applyUpTo(0);
  }

  get state(): ReplayState {
    return {
      position: this.currentPosition,
      duration: this.cast.duration,
      playing: this.isPlaying,
      speed: this.currentSpeed,
      ended: this.next >= this.cast.events.length,
    };
  }

  play() {
    if (this.isPlaying) return;
    if (this.next >= this.cast.events.length) {
      this.seek(0);
    }
    this.isPlaying = true;
    this.rebase();
    this.tick();
  }

  pause() {
    if (!this.isPlaying) return;
    this.currentPosition = this.livePosition();
    this.isPlaying = false;
    this.cancelTimer();
    this.emit();
  }

  /** Jumps to `seconds` (clamped); keeps playing if it was. */
  seek(seconds: number) {
    const target = Math.min(Math.max(0, seconds), this.cast.duration);
    const events = this.cast.events;
    let size = { cols: this.cast.header.width, rows: this.cast.header.height };
    let output = '';
    let i = 0;
    for (; i < events.length && events[i].time <= target; i++) {
      const event = events[i];
      if (event.code === 'o') output += event.data;
      if (event.code === 'r') size = parseSize(event.data) ?? size;
    }
    this.sink.reset(size.cols, size.rows);
    if (output) this.sink.write(output);
    this.next = i;
    this.currentPosition = target;
    if (this.isPlaying) {
      this.cancelTimer();
      this.rebase();
      this.tick();
    } else {
      this.emit();
    }
  }

  setSpeed(speed: number) {
    if (!(speed > 0)) return;
    if (this.isPlaying) {
      this.currentPosition = this.livePosition();
      this.currentSpeed = speed;
      this.cancelTimer();
      this.rebase();
      this.tick();
    } else {
      this.currentSpeed = speed;
      this.emit();
    }
  }

  dispose() {
    this.isPlaying = false;
    this.cancelTimer();
  }

  private rebase() {
    this.positionAtStart = this.currentPosition;
    this.wallAtStart = this.clock.now();
  }

  private livePosition() {
    const elapsed = (this.clock.now() - this.wallAtStart) / 1000;
    return Math.min(
      this.positionAtStart + elapsed * this.currentSpeed,
      this.cast.duration,
    );
  }

  private tick = () => {
    this.timer = undefined;
    if (!this.isPlaying) return;
    const position = this.livePosition();
    this.applyUpTo(position);
    this.currentPosition = position;
    const upcoming = this.cast.events[this.next];
    if (!upcoming) {
      this.currentPosition = this.cast.duration;
      this.isPlaying = false;
      this.emit();
      return;
    }
    const untilNext = ((upcoming.time - position) / this.currentSpeed) * 1000;
    this.timer = this.clock.setTimeout(
      this.tick,
      Math.max(0, Math.min(untilNext, PROGRESS_INTERVAL_MS)),
    );
    this.emit();
  };

  /** Applies every event up to `position`, batching consecutive output. */
  private applyUpTo(position: number) {
    const events = this.cast.events;
    let output = '';
    while (this.next < events.length && events[this.next].time <= position) {
      const event = events[this.next++];
      if (event.code === 'o') {
        output += event.data;
      } else if (event.code === 'r') {
        const size = parseSize(event.data);
        if (size) {
          if (output) this.sink.write(output);
          output = '';
          this.sink.resize(size.cols, size.rows);
        }
      }
    }
    if (output) this.sink.write(output);
  }

  private cancelTimer() {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private emit() {
    this.onChange(this.state);
  }
}
