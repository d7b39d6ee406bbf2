import { useEffect, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import {
  Build,
  BuildConfigView,
  BuildType,
  DockerfileDiagnostic,
  DockerfileRevision,
} from '@fincloud/plugin-builds-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { buildsApiRef, DockerfileValidationError } from '../api';
import { DockerfileEditor, useDockerfileValidation } from './DockerfileEditor';
import {
  BUILD_TYPE_HELP,
  BUILD_TYPE_LABELS,
  branchProblem,
  formatTime,
  isValidCommit,
} from './format';

const STARTERS: Record<string, string> = {
  java: [
    'FROM maven:3.9-eclipse-temurin-21 AS build',
    'WORKDIR /src',
    'COPY . .',
    'RUN mvn -B -q package -DskipTests',
    '',
    'FROM eclipse-temurin:21-jre',
    'COPY --from=build /src/target/app.jar /opt/app/app.jar',
    'USER 10001',
    'ENTRYPOINT ["java", "-jar", "/opt/app/app.jar"]',
  ].join('\n'),
  node: [
    'FROM node:20-alpine AS build',
    'WORKDIR /src',
    'COPY . .',
    'RUN npm ci && npm run build',
    '',
    'FROM node:20-alpine',
    'WORKDIR /app',
    'COPY --from=build /src/dist ./dist',
    'COPY --from=build /src/package.json ./',
    'USER node',
    'CMD ["node", "dist/server.js"]',
  ].join('\n'),
  go: [
    'FROM golang:1.22 AS build',
    'WORKDIR /src',
    'COPY . .',
    'RUN CGO_ENABLED=0 go build -o /out/app .',
    '',
    'FROM scratch',
    'COPY --from=build /out/app /app',
    'USER 10001',
    'ENTRYPOINT ["/app"]',
  ].join('\n'),
  python: [
    'FROM python:3.12-slim',
    'WORKDIR /app',
    'COPY . .',
    'RUN pip install --no-cache-dir -r requirements.txt',
    'USER 10001',
    'CMD ["python", "main.py"]',
  ].join('\n'),
};

type RevisionChoice = number | 'new';

/**
 * "New build": branch and optional commit, the build type (the entity's
 * default preselected), and for a custom Dockerfile its revisions, an editor
 * validated as you type, and saving a new revision with a message.
 */
export function NewBuildDialog(props: {
  open: boolean;
  onClose: () => void;
  entityRef: string;
  config: BuildConfigView;
  /** `builds.dockerfile.write` on this entity. */
  canWriteDockerfile: boolean;
  onStarted: (build: Build) => void;
}) {
  const api = useApi(buildsApiRef);
  const { config, entityRef } = props;
  const [branch, setBranch] = useState('main');
  const [commit, setCommit] = useState('');
  const [buildType, setBuildType] = useState<BuildType>(config.buildType);
  const [revisions, setRevisions] = useState<
    DockerfileRevision[] | undefined
  >();
  const [revisionsError, setRevisionsError] = useState<Error | undefined>();
  const [choice, setChoice] = useState<RevisionChoice>('new');
  const [content, setContent] = useState('');
  const [message, setMessage] = useState('');
  const [saving, setSaving] = useState(false);
  const [saveDiagnostics, setSaveDiagnostics] = useState<
    DockerfileDiagnostic[] | undefined
  >();
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const custom = buildType === 'custom-dockerfile';

  useEffect(() => {
    if (!props.open || !custom || revisions) return;
    api.listDockerfiles(entityRef).then(
      list => {
        setRevisions(list);
        if (list.length > 0) {
          setChoice(list[0].revision);
          setContent(list[0].content);
        } else {
          setChoice('new');
          setContent(STARTERS[config.language ?? ''] ?? STARTERS.node);
        }
      },
      e => setRevisionsError(e),
    );
  }, [api, entityRef, props.open, custom, revisions, config.language]);

  const selected =
    choice === 'new' ? undefined : revisions?.find(r => r.revision === choice);
  const dirty = custom && (!selected || selected.content !== content);
  const validation = useDockerfileValidation(content, props.open && custom);
  const diagnostics = saveDiagnostics ?? validation.diagnostics;
  const hasErrors = diagnostics.some(d => d.severity === 'error');

  const branchError = branchProblem(branch);
  const commitError =
    commit.trim() && !isValidCommit(commit.trim())
      ? 'A commit is 7 to 40 hexadecimal digits'
      : undefined;

  let blocked: string | undefined;
  if (branchError || commitError) blocked = 'Fix the branch or commit first.';
  else if (custom && !revisions) blocked = 'Loading the Dockerfile revisions…';
  else if (custom && dirty)
    blocked = props.canWriteDockerfile
      ? 'Save the Dockerfile as a new revision before building: a build always uses a stored revision.'
      : 'You may build stored revisions only; choose one.';
  else if (custom && !selected) blocked = 'Choose a Dockerfile revision.';

  const close = () => {
    if (!submitting && !saving) props.onClose();
  };

  const save = async () => {
    setSaving(true);
    setError(undefined);
    setSaveDiagnostics(undefined);
    try {
      const revision = await api.saveDockerfile(
        entityRef,
        content,
        message.trim(),
      );
      setRevisions(list => [revision, ...(list ?? [])]);
      setChoice(revision.revision);
      setContent(revision.content);
      setMessage('');
    } catch (e) {
      if (e instanceof DockerfileValidationError) {
        setSaveDiagnostics(e.diagnostics);
      }
      setError((e as Error).message);
    } finally {
      setSaving(false);
    }
  };

  const start = async () => {
    setSubmitting(true);
    setError(undefined);
    try {
      const build = await api.triggerBuild(entityRef, {
        branch: branch.trim(),
        commit: commit.trim() || undefined,
        buildType,
        dockerfileRevision: custom ? selected?.revision : undefined,
      });
      props.onStarted(build);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <Dialog
      open={props.open}
      onClose={close}
      maxWidth={custom ? 'md' : 'sm'}
      fullWidth
      aria-labelledby="builds-new-build-title"
    >
      <DialogTitle id="builds-new-build-title">New build</DialogTitle>
      <DialogContent>
        <Grid container spacing={2}>
          <Grid item xs={12} sm={6}>
            <TextField
              fullWidth
              required
              variant="outlined"
              size="small"
              id="builds-new-branch"
              label="Branch"
              value={branch}
              onChange={e => setBranch(e.target.value)}
              error={Boolean(branchError)}
              helperText={branchError ?? ' '}
            />
          </Grid>
          <Grid item xs={12} sm={6}>
            <TextField
              fullWidth
              variant="outlined"
              size="small"
              id="builds-new-commit"
              label="Commit"
              placeholder="the branch's head when empty"
              value={commit}
              onChange={e => setCommit(e.target.value)}
              error={Boolean(commitError)}
              helperText={commitError ?? ' '}
              InputLabelProps={{ shrink: true }}
            />
          </Grid>
          <Grid item xs={12}>
            <TextField
              select
              fullWidth
              variant="outlined"
              size="small"
              id="builds-new-type"
              label="Build type"
              value={buildType}
              onChange={e => {
                setBuildType(e.target.value as BuildType);
                setSaveDiagnostics(undefined);
              }}
              helperText={BUILD_TYPE_HELP[buildType]}
            >
              {config.availableTypes.map(t => (
                <MenuItem key={t} value={t}>
                  {BUILD_TYPE_LABELS[t]}
                  {t === config.buildType ? ' (default)' : ''}
                </MenuItem>
              ))}
            </TextField>
          </Grid>
          {custom && (
            <Grid item xs={12}>
              {revisionsError && (
                <Typography color="error" role="alert">
                  Could not load the Dockerfile revisions:{' '}
                  {revisionsError.message}
                </Typography>
              )}
              {!revisions && !revisionsError && <CircularProgress size={20} />}
              {revisions && (
                <>
                  <TextField
                    select
                    fullWidth
                    variant="outlined"
                    size="small"
                    id="builds-new-revision"
                    label="Dockerfile revision"
                    value={choice}
                    onChange={e => {
                      const value = e.target.value as unknown as RevisionChoice;
                      setChoice(value);
                      setSaveDiagnostics(undefined);
                      const r = revisions.find(x => x.revision === value);
                      if (r) setContent(r.content);
                    }}
                  >
                    {revisions.map(r => (
                      <MenuItem key={r.revision} value={r.revision}>
                        Revision {r.revision} — {r.message} ({r.author},{' '}
                        {formatTime(r.createdAt)})
                      </MenuItem>
                    ))}
                    {props.canWriteDockerfile && (
                      <MenuItem value="new">A new revision…</MenuItem>
                    )}
                  </TextField>
                  <Box mt={2}>
                    <DockerfileEditor
                      value={content}
                      onChange={value => {
                        setContent(value);
                        setSaveDiagnostics(undefined);
                      }}
                      diagnostics={diagnostics}
                      readOnly={!props.canWriteDockerfile}
                    />
                    <Typography
                      variant="caption"
                      color="textSecondary"
                      role="status"
                    >
                      {validation.validating && 'Checking…'}
                      {!validation.validating &&
                        !validation.error &&
                        diagnostics.length === 0 &&
                        'No problems found'}
                      {!validation.validating &&
                        validation.error &&
                        `Could not check the Dockerfile: ${validation.error.message}`}
                    </Typography>
                  </Box>
                  {props.canWriteDockerfile && dirty && (
                    <Box mt={2} display="flex" alignItems="flex-start">
                      <TextField
                        fullWidth
                        variant="outlined"
                        size="small"
                        id="builds-new-revision-message"
                        label="What changed"
                        value={message}
                        onChange={e => setMessage(e.target.value)}
                      />
                      <Box ml={1} flexShrink={0}>
                        <Button
                          variant="outlined"
                          onClick={save}
                          disabled={
                            saving ||
                            !message.trim() ||
                            !content.trim() ||
                            hasErrors
                          }
                        >
                          {saving ? 'Saving…' : 'Save revision'}
                        </Button>
                      </Box>
                    </Box>
                  )}
                </>
              )}
            </Grid>
          )}
        </Grid>
        {error && (
          <Box mt={2}>
            <Typography color="error" role="alert">
              {error}
            </Typography>
          </Box>
        )}
        {blocked && !error && (
          <Box mt={2}>
            <Typography variant="body2" color="textSecondary">
              {blocked}
            </Typography>
          </Box>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={close} disabled={submitting || saving}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={start}
          disabled={Boolean(blocked) || submitting || saving}
        >
          {submitting ? 'Starting…' : 'Start build'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
