// Messages between the reconcilers and the template worker thread. Errors cross as plain fields
// (structured clone drops Error subclasses) and are rebuilt on the other side.
import type { TemplatePhase } from "../../template/errors.ts";

export interface SealedRenderRequest {
  id: number;
  templateData: Record<string, string>;
  decrypted: Record<string, Uint8Array>;
  /** The reconcile's clock (ms), so now/date render as they would inline. */
  now: number;
}

export interface WireTemplateError {
  phase: TemplatePhase;
  message: string;
  templateName: string;
  line: number;
  column: number;
}

export type SealedRenderReply =
  | { id: number; ok: true; data: Record<string, Uint8Array>; errors: { key: string; error: WireTemplateError }[] }
  | { id: number; ok: false; message: string };
