import { useEffect, useMemo } from 'react';
import { PodTarget } from '@fincloud/plugin-terminal-common';
import Box from '@material-ui/core/Box';
import TextField from '@material-ui/core/TextField';

/** The value of the container select that asks for an ephemeral debug container. */
export const DEBUG_CONTAINER = '__debug__';

export interface TargetSelection {
  cluster: string;
  pod: string;
  /** A container name, or DEBUG_CONTAINER. */
  container: string;
}

/** A sensible first choice: the first running, ready pod (else the first pod). */
export function defaultSelection(
  targets: PodTarget[],
): TargetSelection | undefined {
  const best =
    targets.find(t => t.phase === 'Running' && t.ready) ??
    targets.find(t => t.phase === 'Running') ??
    targets[0];
  return best
    ? {
        cluster: best.cluster,
        pod: best.pod,
        container: best.containers[0] ?? '',
      }
    : undefined;
}

/** The pod target a selection names, if it still exists. */
export function selectedTarget(
  targets: PodTarget[],
  selection: TargetSelection | undefined,
): PodTarget | undefined {
  return selection
    ? targets.find(
        t => t.cluster === selection.cluster && t.pod === selection.pod,
      )
    : undefined;
}

/**
 * Cluster, pod and container of a session. The container list ends with
 * "Ephemeral debug container": a separate container with debugging tools
 * that shares the pod, so the application container is left untouched.
 */
export function TargetPicker(props: {
  targets: PodTarget[];
  value: TargetSelection | undefined;
  onChange(value: TargetSelection): void;
  disabled?: boolean;
}) {
  const { targets, value, onChange, disabled } = props;
  const clusters = useMemo(
    () => Array.from(new Set(targets.map(t => t.cluster))),
    [targets],
  );
  const pods = targets.filter(t => t.cluster === value?.cluster);
  const pod = selectedTarget(targets, value);

  // Keep the selection valid when the pod list changes under it.
  useEffect(() => {
    if (!pod) {
      const first = defaultSelection(targets);
      if (first) onChange(first);
    }
  }, [pod, targets, onChange]);

  const selectCluster = (cluster: string) => {
    const first = defaultSelection(targets.filter(t => t.cluster === cluster));
    if (first) onChange(first);
  };
  const selectPod = (name: string) => {
    const next = pods.find(t => t.pod === name);
    if (next && value) {
      onChange({
        cluster: value.cluster,
        pod: name,
        container: next.containers.includes(value.container)
          ? value.container
          : next.containers[0] ?? '',
      });
    }
  };

  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: 16 }}>
      <TextField
        select
        id="terminal-cluster"
        label="Cluster"
        value={value?.cluster ?? ''}
        onChange={e => selectCluster(e.target.value)}
        SelectProps={{ native: true }}
        disabled={disabled}
        variant="outlined"
        size="small"
        InputLabelProps={{ shrink: true }}
      >
        {clusters.map(c => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </TextField>
      <TextField
        select
        id="terminal-pod"
        label="Pod"
        value={value?.pod ?? ''}
        onChange={e => selectPod(e.target.value)}
        SelectProps={{ native: true }}
        disabled={disabled}
        variant="outlined"
        size="small"
        style={{ minWidth: 320 }}
        InputLabelProps={{ shrink: true }}
      >
        {pods.map(p => (
          <option key={p.pod} value={p.pod}>
            {p.pod} ({p.phase}
            {p.ready ? ', ready' : ', not ready'})
          </option>
        ))}
      </TextField>
      <TextField
        select
        id="terminal-container"
        label="Container"
        value={value?.container ?? ''}
        onChange={e =>
          value && onChange({ ...value, container: e.target.value })
        }
        SelectProps={{ native: true }}
        disabled={disabled}
        variant="outlined"
        size="small"
        style={{ minWidth: 220 }}
        InputLabelProps={{ shrink: true }}
      >
        {(pod?.containers ?? []).map(c => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
        {pod && (
          <option value={DEBUG_CONTAINER}>
            Ephemeral debug container (leaves {pod.containers[0]} untouched)
          </option>
        )}
      </TextField>
    </Box>
  );
}
