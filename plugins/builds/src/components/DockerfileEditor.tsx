import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { DockerfileDiagnostic } from '@fincloud/plugin-builds-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { buildsApiRef } from '../api';

const LINE_HEIGHT = 20;

const useStyles = makeStyles(theme => ({
  frame: {
    display: 'flex',
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
    maxHeight: LINE_HEIGHT * 24,
    overflow: 'auto',
    fontFamily: 'monospace',
    fontSize: 13,
    lineHeight: `${LINE_HEIGHT}px`,
    background: theme.palette.background.default,
  },
  gutter: {
    padding: theme.spacing(1, 1, 1, 1),
    textAlign: 'right',
    color: theme.palette.text.secondary,
    userSelect: 'none',
    borderRight: `1px solid ${theme.palette.divider}`,
    minWidth: 40,
  },
  errorLine: { color: theme.palette.error.main, fontWeight: 'bold' },
  warningLine: { color: theme.palette.warning.main, fontWeight: 'bold' },
  textarea: {
    flex: 1,
    border: 'none',
    outline: 'none',
    resize: 'none',
    padding: theme.spacing(1),
    font: 'inherit',
    lineHeight: 'inherit',
    background: 'transparent',
    color: theme.palette.text.primary,
    whiteSpace: 'pre',
    overflow: 'hidden',
  },
}));

/**
 * Validates `content` through `POST /dockerfiles/validate` as the user types
 * (400 ms after the last key); an answer for text no longer shown is dropped.
 */
export function useDockerfileValidation(content: string, enabled: boolean) {
  const api = useApi(buildsApiRef);
  const [diagnostics, setDiagnostics] = useState<DockerfileDiagnostic[]>([]);
  const [validating, setValidating] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    if (!enabled) {
      setValidating(false);
      return undefined;
    }
    setValidating(true);
    const timer = setTimeout(() => {
      api.validateDockerfile(content).then(
        d => {
          if (generation.current !== mine) return;
          setDiagnostics(d);
          setError(undefined);
          setValidating(false);
        },
        e => {
          if (generation.current !== mine) return;
          setError(e);
          setValidating(false);
        },
      );
    }, 400);
    return () => clearTimeout(timer);
  }, [api, content, enabled]);

  return { diagnostics, validating, error };
}

/**
 * A Dockerfile editor: line numbers, lines with a problem marked in the
 * gutter, and the diagnostics listed under it.
 */
export function DockerfileEditor(props: {
  value: string;
  onChange?: (value: string) => void;
  diagnostics: DockerfileDiagnostic[];
  readOnly?: boolean;
}) {
  const classes = useStyles();
  const lines = props.value.split('\n');
  const byLine = new Map<number, DockerfileDiagnostic['severity']>();
  for (const d of props.diagnostics) {
    if (byLine.get(d.line) !== 'error') byLine.set(d.line, d.severity);
  }
  const sorted = [...props.diagnostics].sort((a, b) => a.line - b.line);

  return (
    <Box>
      <div className={classes.frame}>
        <div className={classes.gutter} aria-hidden>
          {lines.map((_, i) => {
            const severity = byLine.get(i + 1);
            let className: string | undefined;
            if (severity === 'error') className = classes.errorLine;
            else if (severity === 'warning') className = classes.warningLine;
            return (
              <div key={i} className={className}>
                {severity ? '● ' : ''}
                {i + 1}
              </div>
            );
          })}
        </div>
        <textarea
          aria-label="Dockerfile"
          className={classes.textarea}
          spellCheck={false}
          readOnly={props.readOnly}
          rows={Math.max(lines.length, 10)}
          value={props.value}
          onChange={e => props.onChange?.(e.target.value)}
        />
      </div>
      {sorted.length > 0 && (
        <Box mt={1} component="ul" aria-label="Dockerfile problems" pl={2}>
          {sorted.map((d, i) => (
            <Typography
              key={i}
              component="li"
              variant="body2"
              color={d.severity === 'error' ? 'error' : 'textPrimary'}
            >
              Line {d.line} · {d.severity}: {d.message}
            </Typography>
          ))}
        </Box>
      )}
    </Box>
  );
}
