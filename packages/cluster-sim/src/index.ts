/**
 * A simulated Kubernetes cluster for fincloud's demo and tests.
 *
 * @packageDocumentation
 */
export * from './contracts';
