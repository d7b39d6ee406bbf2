import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  ErrorPanel,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import IconButton from '@material-ui/core/IconButton';
import Slider from '@material-ui/core/Slider';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import PauseIcon from '@material-ui/icons/Pause';
import PlayArrowIcon from '@material-ui/icons/PlayArrow';
import ReplayIcon from '@material-ui/icons/Replay';
import { terminalApiRef } from '../api';
import { Asciicast, formatClock, parseAsciicast } from '../terminal/asciicast';
import { AsciicastPlayer, ReplayState } from '../terminal/AsciicastPlayer';
import { TerminalScreen } from './screen/TerminalScreen';
import { TerminalScreenHandle } from './screen/types';

const SPEEDS = [0.5, 1, 2, 4, 8, 16];

/** Pauses longer than this play as this long (as asciinema's `idle_time_limit`). */
const IDLE_LIMIT_S = 3;

function Player(props: { cast: Asciicast }) {
  const { cast } = props;
  const player = useRef<AsciicastPlayer>();
  const [state, setState] = useState<ReplayState>({
    position: 0,
    duration: cast.duration,
    playing: false,
    speed: 1,
    ended: cast.events.length === 0,
  });
  const size = useMemo(
    () => ({ cols: cast.header.width, rows: cast.header.height }),
    [cast],
  );

  const onReady = useCallback(
    (screen: TerminalScreenHandle) => {
      player.current?.dispose();
      player.current = new AsciicastPlayer({
        cast,
        sink: {
          reset: (cols, rows) => screen.reset(cols, rows),
          write: data => screen.write(data),
          resize: (cols, rows) => screen.resize(cols, rows),
        },
        onChange: setState,
      });
    },
    [cast],
  );
  useEffect(() => () => player.current?.dispose(), []);

  return (
    <Box>
      <TerminalScreen
        label="Replay"
        onReady={onReady}
        fixedSize={size}
        readOnly
        height={Math.min(560, Math.max(240, size.rows * 17 + 16))}
      />
      <Box
        display="flex"
        alignItems="center"
        mt={1}
        style={{ gap: 16 }}
        role="group"
        aria-label="Replay controls"
      >
        {state.playing ? (
          <IconButton
            aria-label="Pause"
            onClick={() => player.current?.pause()}
          >
            <PauseIcon />
          </IconButton>
        ) : (
          <IconButton
            aria-label={
              state.ended && state.position > 0 ? 'Play again' : 'Play'
            }
            onClick={() => player.current?.play()}
          >
            {state.ended && state.position > 0 ? (
              <ReplayIcon />
            ) : (
              <PlayArrowIcon />
            )}
          </IconButton>
        )}
        <Box flexGrow={1} px={1}>
          <Slider
            aria-label="Position"
            value={state.position}
            min={0}
            max={Math.max(state.duration, 0.1)}
            step={0.1}
            onChange={(_event, value) =>
              player.current?.seek(Array.isArray(value) ? value[0] : value)
            }
            getAriaValueText={value => formatClock(value)}
          />
        </Box>
        <Typography
          variant="body2"
          style={{ fontVariantNumeric: 'tabular-nums' }}
          aria-label="Replay time"
        >
          {formatClock(state.position)} / {formatClock(state.duration)}
        </Typography>
        <TextField
          select
          id="terminal-replay-speed"
          label="Speed"
          size="small"
          variant="outlined"
          value={String(state.speed)}
          onChange={e => player.current?.setSpeed(Number(e.target.value))}
          SelectProps={{ native: true }}
          InputLabelProps={{ shrink: true }}
        >
          {SPEEDS.map(speed => (
            <option key={speed} value={String(speed)}>
              {speed}×
            </option>
          ))}
        </TextField>
      </Box>
      <Typography variant="caption" color="textSecondary">
        Pauses longer than {IDLE_LIMIT_S} s play as {IDLE_LIMIT_S} s; the
        session's real start and end are above.
      </Typography>
    </Box>
  );
}

/**
 * The in-portal replay of a session's asciicast recording: xterm.js driven
 * by the recording, with play / pause, seek and speed.
 */
export function ReplayPlayer(props: { sessionId: string }) {
  const api = useApi(terminalApiRef);
  const recording = useAsync(
    () => api.getRecording(props.sessionId),
    [api, props.sessionId],
  );
  const parsed = useMemo(() => {
    if (recording.value === undefined) return undefined;
    try {
      return {
        cast: parseAsciicast(recording.value, { idleTimeLimit: IDLE_LIMIT_S }),
      };
    } catch (error) {
      return { error: error as Error };
    }
  }, [recording.value]);

  if (recording.loading) return <Progress />;
  if (recording.error) {
    return (
      <ResponseErrorPanel
        title="Could not load the recording"
        error={recording.error}
      />
    );
  }
  if (parsed?.error) {
    return (
      <ErrorPanel title="The recording cannot be read" error={parsed.error} />
    );
  }
  return parsed?.cast ? <Player cast={parsed.cast} /> : null;
}
