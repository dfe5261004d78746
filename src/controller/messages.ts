// Bounded text for conditions and Events: a status is read by people and stored in etcd, so a
// message stays short whatever the object holds (thousands of bad values, long names).

/** Longest condition message written (metav1.Condition allows 32,768; people read far less). */
export const MAX_MESSAGE = 1024;

/** Cuts a message to `max` characters, saying that it did. */
export function boundedMessage(text: string, max = MAX_MESSAGE): string {
  if (text.length <= max) return text;
  const tail = ` … (${text.length - max + 40} more characters)`;
  return `${text.slice(0, Math.max(0, max - tail.length))}${tail}`;
}

/** "a, b, c" — or, past `shown` items, "3 of 3000 values: a, b, c, …". Items are sorted. */
export function listSummary(items: readonly string[], noun = "values", shown = 10): string {
  const sorted = [...items].sort();
  if (sorted.length <= shown) return sorted.join(", ");
  return `${shown} of ${sorted.length} ${noun}: ${sorted.slice(0, shown).join(", ")}, …`;
}
