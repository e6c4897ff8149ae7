/**
 * The contract's name rule for `name`, `language` and `artifact_type`. Checked before any
 * file, cache key or metric label sees the value, so nothing else needs to defend against
 * traversal, encoding tricks or label-cardinality attacks.
 */
export const RESOURCE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isValidResourceName(value: unknown): value is string {
  return typeof value === "string" && RESOURCE_NAME_PATTERN.test(value);
}
