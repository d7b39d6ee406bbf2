/**
 * Scripted, realistic build logs for Job pods, derived from their spec.
 *
 * @packageDocumentation
 */
export { scriptPod, classifyContainer, DEFAULT_STEP_MS } from './scriptPod';
export { BUILDLOG_ANNOTATIONS } from './context';
export { parseFindingCounts, SEVERITIES } from './scan';
