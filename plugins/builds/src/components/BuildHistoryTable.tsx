import { Link, Table, TableColumn } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { Build, isBuildFinished } from '@fincloud/plugin-builds-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { BuildStatusChip } from './BuildStatusChip';
import {
  BUILD_TYPE_LABELS,
  elapsedMs,
  formatDuration,
  formatTime,
  shortCommit,
  shortDigest,
} from './format';

/**
 * The image a build pushed and its short digest, full values on hover;
 * `compact` shows only the repository's last segment and tag (in a table).
 */
export function ImageCell(props: {
  image?: Build['image'];
  compact?: boolean;
}) {
  const { image, compact } = props;
  if (!image) return <Typography variant="body2">—</Typography>;
  const shown = compact
    ? image.ref.slice(image.ref.lastIndexOf('/') + 1)
    : image.ref;
  return (
    <Box>
      <Typography
        variant="body2"
        component="div"
        title={image.ref}
        style={{ wordBreak: 'break-all' }}
      >
        {shown}
      </Typography>
      {image.digest && (
        <Typography
          variant="caption"
          component="div"
          title={image.digest}
          style={{ fontFamily: 'monospace', whiteSpace: 'nowrap' }}
        >
          {shortDigest(image.digest)}
        </Typography>
      )}
    </Box>
  );
}

export function buildDuration(build: Build, now = Date.now()) {
  return (
    build.runMs ??
    (isBuildFinished(build.status)
      ? undefined
      : elapsedMs(build.startedAt, undefined, now))
  );
}

/** The history: one row per build, newest first; the number links to its detail. */
export function BuildHistoryTable(props: {
  items: Build[];
  linkTo: (build: Build) => string;
}) {
  const columns: TableColumn<Build>[] = [
    {
      title: 'Build',
      field: 'number',
      render: b => (
        <Link to={props.linkTo(b)} aria-label={`Build #${b.number}`}>
          #{b.number}
        </Link>
      ),
    },
    {
      title: 'Status',
      field: 'status',
      render: b => <BuildStatusChip status={b.status} />,
    },
    {
      title: 'Type',
      field: 'buildType',
      render: b => BUILD_TYPE_LABELS[b.buildType] ?? b.buildType,
    },
    {
      title: 'Branch / commit',
      field: 'branch',
      render: b => (
        <Box>
          <Typography variant="body2" component="div">
            {b.branch}
          </Typography>
          {b.commit && (
            <Typography
              variant="caption"
              component="div"
              title={b.commit}
              style={{ fontFamily: 'monospace' }}
            >
              {shortCommit(b.commit)}
            </Typography>
          )}
        </Box>
      ),
    },
    {
      title: 'Triggered by',
      field: 'triggeredBy',
      render: b => (
        <EntityRefLink entityRef={b.triggeredBy} defaultKind="user" />
      ),
    },
    {
      title: 'Created',
      field: 'createdAt',
      render: b => formatTime(b.createdAt),
    },
    {
      title: 'Duration',
      field: 'runMs',
      render: b => (
        <Box>
          <Typography variant="body2" component="div">
            {formatDuration(buildDuration(b))}
          </Typography>
          {b.queueMs !== undefined && (
            <Typography variant="caption" color="textSecondary">
              queued {formatDuration(b.queueMs)}
            </Typography>
          )}
        </Box>
      ),
    },
    {
      title: 'Image',
      field: 'image',
      render: b => <ImageCell image={b.image} compact />,
    },
  ];

  return (
    <Box role="region" aria-label="Build history">
      <Table<Build>
        title="Build history"
        options={{
          paging: false,
          search: false,
          sorting: false,
          padding: 'dense',
          draggable: false,
        }}
        columns={columns}
        // material-table writes its own state into the rows: give it copies.
        data={props.items.map(b => ({ ...b }))}
      />
    </Box>
  );
}
