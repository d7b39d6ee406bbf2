import { useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  AuditExportFormat,
  auditExportPermission,
} from '@fincloud/plugin-audit-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import GetAppIcon from '@material-ui/icons/GetApp';
import { auditApiRef } from '../api';
import { AuditFilterValues } from './AuditFilters';

function save(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser time to start the download before releasing the blob.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Export of the events matching the current filters, with the chain proof,
 * as CSV or JSON Lines. Shown only to those holding `audit.events.export`
 * (the backend checks again, and records the export as a high-severity event).
 */
export function ExportButtons(props: { filters: AuditFilterValues }) {
  const api = useApi(auditApiRef);
  const { allowed, loading } = usePermission({
    permission: auditExportPermission,
  });
  const [busy, setBusy] = useState<AuditExportFormat | undefined>();
  const [error, setError] = useState<string | undefined>();

  if (loading || !allowed) return null;

  const run = async (format: AuditExportFormat) => {
    setBusy(format);
    setError(undefined);
    try {
      const file = await api.exportEvents(format, props.filters);
      save(file.blob, file.filename);
    } catch (e) {
      setError(`Export failed: ${(e as Error).message}`);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Box display="flex" alignItems="center" flexWrap="wrap">
      <Button
        variant="outlined"
        startIcon={<GetAppIcon />}
        disabled={busy !== undefined}
        onClick={() => run('csv')}
      >
        Export CSV
      </Button>
      <Box ml={1}>
        <Button
          variant="outlined"
          startIcon={<GetAppIcon />}
          disabled={busy !== undefined}
          onClick={() => run('jsonl')}
        >
          Export JSON Lines
        </Button>
      </Box>
      {error && (
        <Box ml={2}>
          <Typography variant="body2" color="error" role="alert">
            {error}
          </Typography>
        </Box>
      )}
    </Box>
  );
}
