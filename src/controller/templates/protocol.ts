// Messages between the reconcilers and the template worker thread. Errors cross as plain fields
// (structured clone drops Error subclasses) and are rebuilt on the other side.
import type { EsoTemplateSpec } from "../../api/eso-template.ts";
import type { TemplatePhase } from "../../template/errors.ts";
import type { EsoRenderOutput } from "../../template/eso.ts";

/** A SealedSecret-shaped object's spec.template.data with its decrypted values. */
export interface SealedRenderJob {
  kind: "sealed";
  templateData: Record<string, string>;
  decrypted: Record<string, Uint8Array>;
}

/** An ExternalSecret's target.template (templateFrom already resolved) with the fetched data. */
export interface EsoRenderJob {
  kind: "eso";
  template: EsoTemplateSpec;
  data: Record<string, string | Uint8Array>;
}

export type RenderRequest = (SealedRenderJob | EsoRenderJob) & {
  id: number;
  /** The reconcile's clock (ms), so now/date render as they would inline. */
  now: number;
};

export interface WireTemplateError {
  phase: TemplatePhase;
  message: string;
  templateName: string;
  line: number;
  column: number;
}

export type RenderReply =
  | { id: number; ok: true; kind: "sealed"; data: Record<string, Uint8Array>; errors: { key: string; error: WireTemplateError }[] }
  | { id: number; ok: true; kind: "eso"; out: EsoRenderOutput }
  /** An ExternalSecret template failed: EsoTemplateError's (safe) message and key. */
  | { id: number; ok: false; eso: { message: string; key: string } }
  | { id: number; ok: false; message: string };
