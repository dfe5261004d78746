// The controller as `check` asks it, online: directly at its HTTP API (--controller-url, e.g. a
// port-forward) or, as kubeseal reaches it, through the API server's service proxy (--controller).
import type { VerifyAnswer, OnlineController } from "../check/check.ts";
import type { SealingScope } from "../crypto/scope.ts";
import { ageRecipientKind } from "../crypto/age.ts";
import type { ControllerClient } from "./controller-client.ts";
import { CliError } from "./io.ts";

const MAX_MESSAGE = 600;

/** 200: it opens; 409: the controller's diagnosis (reason, message: fingerprints and scopes, never values). */
export function verifyAnswerOf(status: number, body: string): VerifyAnswer {
  if (status >= 200 && status <= 299) return { ok: true };
  if (status === 409) {
    try {
      const parsed = JSON.parse(body) as { reason?: unknown; message?: unknown };
      const reason = typeof parsed.reason === "string" && /^[A-Za-z]{1,64}$/.test(parsed.reason) ? parsed.reason : "DoesNotDecrypt";
      const message = typeof parsed.message === "string" ? parsed.message.slice(0, MAX_MESSAGE) : "no diagnosis";
      return { ok: false, reason, message };
    } catch {
      return { ok: false, reason: "DoesNotDecrypt", message: "the controller cannot decrypt it (no diagnosis given)" };
    }
  }
  const line = (body.split("\n")[0] ?? "").slice(0, MAX_MESSAGE);
  return { ok: false, reason: status === 400 ? "Refused" : `HTTP${status}`, message: line || `HTTP ${status}` };
}

function recipientLines(text: string, where: string): string[] {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  for (const l of lines) {
    try {
      ageRecipientKind(l);
    } catch {
      throw new CliError(`${where}: the controller answered something that is not an age recipient`);
    }
  }
  return lines;
}

function cached(fetcher: (scope: SealingScope, namespace: string, name: string) => Promise<string[]>): (scope: SealingScope, namespace: string, name: string) => Promise<string[]> {
  const seen = new Map<string, Promise<string[]>>();
  return (scope, namespace, name) => {
    // The recipients depend only on the label: namespace-wide ignores the name, cluster-wide both.
    const key = scope === "cluster-wide" ? scope : scope === "namespace-wide" ? `${scope}\0${namespace}` : `${scope}\0${namespace}\0${name}`;
    let p = seen.get(key);
    if (p === undefined) seen.set(key, (p = fetcher(scope, namespace, name)));
    return p;
  };
}

export function directController(baseUrl: string, timeoutMs: number): OnlineController & { certificate(): Promise<string> } {
  let base: URL;
  try {
    base = new URL(baseUrl.replace(/\/+$/, "") + "/");
  } catch {
    throw new CliError("--controller-url: not a URL (e.g. http://127.0.0.1:8080)");
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new CliError("--controller-url: use an http:// or https:// URL");
  const signal = () => (timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined);
  const call = async (path: string, init: RequestInit = {}): Promise<{ status: number; body: string }> => {
    let res: Response;
    try {
      const s = signal();
      res = await fetch(new URL(path, base), { ...init, ...(s !== undefined ? { signal: s } : {}) });
    } catch (err) {
      throw new CliError(`cannot reach the controller at ${base.origin}: ${err instanceof Error ? err.message : "network error"}`);
    }
    return { status: res.status, body: await res.text() };
  };
  return {
    describe: `the controller at ${base.origin}`,
    async certificate() {
      const r = await call("v1/cert.pem");
      if (r.status !== 200) throw new CliError(`the controller at ${base.origin} answered HTTP ${r.status} for /v1/cert.pem`);
      return r.body;
    },
    async verify(sealed) {
      const r = await call("v1/verify", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(sealed) });
      return verifyAnswerOf(r.status, r.body);
    },
    ageRecipients: cached(async (scope, namespace, name) => {
      const q = new URLSearchParams({ scope, namespace, name });
      const r = await call(`v1/age-recipients?${q.toString()}`);
      // No age key (or age controllers off): nothing to compare with, not an error of the file.
      if (r.status !== 200) return [];
      return recipientLines(r.body, "/v1/age-recipients");
    }),
  };
}

export function proxiedController(client: ControllerClient, ref: { namespace: string; name: string }): OnlineController & { certificate(): Promise<string> } {
  return {
    describe: `controller ${ref.namespace}/${ref.name}`,
    async certificate() {
      return Buffer.from(await client.fetchCertificate()).toString("utf8");
    },
    async verify(sealed) {
      const r = await client.verifyAnswer(JSON.stringify(sealed));
      return verifyAnswerOf(r.status, r.body);
    },
    ageRecipients: cached(async (scope, namespace, name) => {
      try {
        return await client.fetchAgeRecipients({ scope, namespace, name });
      } catch (err) {
        if (err instanceof CliError) return [];
        throw err;
      }
    }),
  };
}
