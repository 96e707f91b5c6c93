/** Building blocks for what a documented difference expects of Baton's outcome. */
import type { Described } from '../outcome';

/** A row (as `describe` renders it) whose values, by index, are `values`. */
export function rowOf(...values: Described[]): { indexed: Described[] } {
  return { indexed: values };
}
