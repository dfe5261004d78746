// Cached objects counted by their status conditions, kept up to date as the cache changes (an add,
// an update or a delete moves one object between counts), so that a metrics scrape reads a few
// counts instead of walking every cached object.
import type { KubeObject } from "./port.ts";

export interface ConditionCount {
  status: string;
  reason: string;
  n: number;
}

/** The status and reason of the first condition of `type` ({Unknown, ""} when there is none). */
export function conditionOf(obj: { readonly [field: string]: unknown }, type: string): { status: string; reason: string } {
  const conditions = (obj["status"] as { conditions?: unknown } | undefined)?.conditions;
  if (Array.isArray(conditions)) {
    for (const c of conditions as ({ type?: unknown; status?: unknown; reason?: unknown } | null)[]) {
      if (c?.type === type) return { status: typeof c.status === "string" ? c.status : "", reason: typeof c.reason === "string" ? c.reason : "" };
    }
  }
  return { status: "Unknown", reason: "" };
}

/** The full recount: objects by the status and reason of their `type` condition. */
export function countConditions(objects: Iterable<{ readonly [field: string]: unknown }>, type: string): ConditionCount[] {
  const counts = new Map<string, ConditionCount>();
  for (const obj of objects) {
    const c = conditionOf(obj, type);
    const id = labelId(c.status, c.reason);
    const entry = counts.get(id) ?? { ...c, n: 0 };
    entry.n++;
    counts.set(id, entry);
  }
  return [...counts.values()];
}

function labelId(status: string, reason: string): string {
  return `${status}\u0000${reason}`;
}

/** Each condition type an object carries, once (the first of a type counts, as in conditionOf). */
function conditionTypes(obj: KubeObject): Map<string, { status: string; reason: string }> {
  const out = new Map<string, { status: string; reason: string }>();
  const conditions = (obj["status"] as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(conditions)) return out;
  for (const c of conditions as ({ type?: unknown; status?: unknown; reason?: unknown } | null)[]) {
    if (typeof c?.type !== "string" || out.has(c.type)) continue;
    out.set(c.type, { status: typeof c.status === "string" ? c.status : "", reason: typeof c.reason === "string" ? c.reason : "" });
  }
  return out;
}

export class ConditionTally {
  private total = 0;
  /** condition type → status\0reason → objects. Entries that reach zero are removed. */
  private readonly byType = new Map<string, Map<string, ConditionCount>>();

  /** An object entered the cache (an update is remove(old) then add(new)). */
  add(obj: KubeObject): void {
    this.total++;
    for (const [type, c] of conditionTypes(obj)) {
      let counts = this.byType.get(type);
      if (!counts) this.byType.set(type, (counts = new Map<string, ConditionCount>()));
      const id = labelId(c.status, c.reason);
      const entry = counts.get(id);
      if (entry) entry.n++;
      else counts.set(id, { ...c, n: 1 });
    }
  }

  remove(obj: KubeObject): void {
    this.total--;
    for (const [type, c] of conditionTypes(obj)) {
      const counts = this.byType.get(type);
      const id = labelId(c.status, c.reason);
      const entry = counts?.get(id);
      if (!counts || !entry) continue;
      entry.n--;
      if (entry.n <= 0) counts.delete(id);
      if (counts.size === 0) this.byType.delete(type);
    }
  }

  /** Counts for one condition type, as countConditions would give them (objects without it: Unknown). */
  counts(type: string): ConditionCount[] {
    const counts = this.byType.get(type);
    let carrying = 0;
    const out: ConditionCount[] = [];
    let unknown: ConditionCount | undefined;
    for (const entry of counts?.values() ?? []) {
      carrying += entry.n;
      const copy = { ...entry };
      if (entry.status === "Unknown" && entry.reason === "") unknown = copy;
      out.push(copy);
    }
    const without = this.total - carrying;
    if (without > 0) {
      if (unknown) unknown.n += without;
      else out.push({ status: "Unknown", reason: "", n: without });
    }
    return out;
  }
}
