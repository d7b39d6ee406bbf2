/**
 * The fincloud terminal backend: audited terminal sessions into a
 * service's pods.
 *
 * @packageDocumentation
 */
export { terminalPlugin as default } from './plugin';
export type { RecordingStore } from './recording/RecordingStore';
export { DatabaseRecordingStore } from './recording/RecordingStore';
