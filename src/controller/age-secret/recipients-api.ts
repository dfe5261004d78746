// GET /v1/age-recipients?scope=strict|namespace-wide|cluster-wide&namespace=NS&name=N: the age
// recipients to seal a value for that scope, one per line, newest key first (compromised keys are
// left out). Each is derived from an age master key (crypto/age-scope.ts), so plain `age -r` works.
import { CryptoError, isCryptoError } from "../../crypto/errors.ts";
import { scopeRecipient } from "../../crypto/age-scope.ts";
import { parseScope } from "../../crypto/scope.ts";
import type { AgeKeyring } from "../keys/age-keyring.ts";
import type { ApiAnswer } from "../../server/answer.ts";

function text(status: number, body: string): ApiAnswer {
  return { status, contentType: "text/plain; charset=utf-8", body };
}

export async function ageRecipientsAnswer(keyring: AgeKeyring, query: URLSearchParams): Promise<ApiAnswer> {
  let scope;
  try {
    scope = parseScope(query.get("scope") ?? "");
  } catch (err) {
    if (isCryptoError(err)) return text(400, `${err.message}\n`);
    throw err;
  }
  const ref = { scope, namespace: query.get("namespace") ?? "", name: query.get("name") ?? "" };
  const keys = keyring.keys.filter((k) => !k.compromised);
  if (keys.length === 0) return text(500, "cannot get age recipients: no usable age sealing key\n");
  try {
    const lines = await Promise.all(keys.map((k) => scopeRecipient(k.identity, ref)));
    return text(200, lines.join("\n") + "\n");
  } catch (err) {
    if (err instanceof CryptoError) return text(400, `${err.message}\n`);
    throw err;
  }
}
