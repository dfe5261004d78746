// One copy of the short strings that repeat across cached objects (namespaces, timestamps of a bulk
// apply, owner kinds, condition reasons, key fingerprints). JSON.parse gives every value its own
// string; at 100,000 cached objects the copies cost tens of MiB. The table is bounded: when full it
// starts over (strings already shared stay shared; new ones are shared again from then on).

const MAX_ENTRIES = 8192;
const MAX_LENGTH = 128;

const table = new Map<string, string>();

/** The shared copy of `value` (itself the first time it is seen). Long strings are returned as given. */
export function intern<T>(value: T): T {
  if (typeof value !== "string" || value.length > MAX_LENGTH) return value;
  const shared = table.get(value);
  if (shared !== undefined) return shared as T;
  if (table.size >= MAX_ENTRIES) table.clear();
  table.set(value, value);
  return value;
}
