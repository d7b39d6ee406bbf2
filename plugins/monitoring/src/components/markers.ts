import { DeployMarker } from '@fincloud/plugin-monitoring-common';
import { formatDateTime } from './format';

export const MARKER_COLORS: Record<DeployMarker['kind'], string> = {
  release: '#7b1fa2',
  build: '#607d8b',
};

/** `Release: release-promote 2.8.0 (succeeded), 29 Nov 2026, 12:03:04` */
export function markerText(marker: DeployMarker): string {
  const kind = marker.kind === 'release' ? 'Release' : 'Build';
  const status = marker.status ? ` (${marker.status})` : '';
  return `${kind}: ${marker.label}${status}, ${formatDateTime(marker.at)}`;
}

/** The markers a chart of [from, to] can show. */
export function markersIn(
  markers: DeployMarker[],
  from: number,
  to: number,
): DeployMarker[] {
  return markers
    .filter(m => m.at >= from && m.at <= to)
    .sort((a, b) => a.at - b.at);
}
