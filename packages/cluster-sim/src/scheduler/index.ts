/**
 * kube-scheduler's filter and score semantics as a pure function.
 *
 * @packageDocumentation
 */
export {
  schedulePod,
  podRequests,
  toleratesTaint,
  Reasons,
} from './schedulePod';
export { milliValue, value as quantityValue, isQuantity } from './quantity';
export { matchesLabelSelector, matchesNodeSelectorTerm } from './selectors';
