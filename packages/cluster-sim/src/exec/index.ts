/**
 * The exec emulator: in-memory containers whose commands are TypeScript
 * functions. Nothing here may start a host process or touch host files.
 *
 * @packageDocumentation
 */
export { createEmulatedContainer } from './container';
export { detectProfile, serviceAccountToken, type ImageProfile } from './image';
