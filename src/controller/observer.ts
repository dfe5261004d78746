// A reconciler that only observes: it proves the watch → queue → reconcile path for kinds whose
// real reconciler is not built yet, and logs what it sees (names and generations, never data).
import type { Resource } from "../kube/port.ts";
import type { Reconciler } from "./controller.ts";

export function observingReconciler(resource: Resource): Reconciler {
  return {
    name: `${resource.kind.toLowerCase()}-observer`,
    resource,
    async reconcile(key, ctx) {
      const obj = ctx.cached(key);
      if (obj) ctx.log.info({ generation: obj.metadata?.generation }, `observed ${resource.kind}`);
      else ctx.log.info(`${resource.kind} is gone`);
    },
  };
}
