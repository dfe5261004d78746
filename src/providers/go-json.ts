// Go's encoding/json output for the shapes providers build (tag maps), byte for byte as ESO makes them.

/** Go's json.Marshal of a map[string]string: keys sorted, <, >, & and U+2028/9 escaped. */
export function goJsonStringMap(map: Readonly<Record<string, string>>): string {
  const esc = (v: string) => JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const keys = Object.keys(map).sort((a, b) => (Buffer.from(a).compare(Buffer.from(b))));
  return `{${keys.map((k) => `${esc(k)}:${esc(map[k] ?? "")}`).join(",")}}`;
}
