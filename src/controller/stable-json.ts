// JSON with object keys sorted (and undefined members left out, as JSON.stringify leaves them), so
// two equal values compare equal whatever order the API server or a merge gave their keys. The one
// helper for "did this status or object change?" comparisons.
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? "null" : stableJson(x))).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    const r = v as Record<string, unknown>;
    return `{${Object.keys(r).filter((k) => r[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableJson(r[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
