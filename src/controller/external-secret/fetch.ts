// Fetching an ExternalSecret's data: every data[] and dataFrom[] entry (extract, find, generators)
// through the provider clients of its stores, keys rewritten, converted and decoded as ESO does.
// Entries whose remote secret is gone are reported (names only) for the deletion policy to judge.
import { randomInt } from "node:crypto";
import { SpecError } from "../../api/eso-fields.ts";
import type { DataFromItem, ExternalSecretSpec, StoreRef } from "../../api/external-secret.ts";
import { GENERATORS_GROUP, parsePasswordSpec, type GeneratorRef } from "../../api/generator.ts";
import { resources } from "../../api/resources.ts";
import { generatePasswords, PasswordSpecError, type RandomInt } from "../../crypto/password.ts";
import type { KubePort } from "../../kube/port.ts";
import { SecretNotFound, type SecretsClient } from "../../providers/provider.ts";
import { convertKeys, decodeValue, decodeValues, KeyRewriteError, rewriteKeys } from "./keys.ts";
import { refKey } from "./store-lookup.ts";

/** An entry whose remote secret does not exist (names only, never values). */
export interface MissingEntry {
  field: "data" | "dataFrom";
  index: number;
  key: string;
}

export interface Fetched {
  data: Record<string, Uint8Array>;
  missing: MissingEntry[];
  found: number;
}

/** A generatorRef that cannot be used: the status names the generator (never a generated value). */
export class GeneratorError extends Error {
  override readonly name = "GeneratorError";
  readonly reason: "GeneratorNotFound" | "UnsupportedGenerator" | "InvalidGenerator";
  // A missing or invalid generator is fixed by creating or editing it, which the Password watch
  // notices; a retry loop would change nothing.
  readonly retryable = false;
  constructor(reason: GeneratorError["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

export class ProviderFetch {
  private readonly kube: KubePort;
  private readonly randomInt: RandomInt;

  /** `randomInt`: randomness for generators (node:crypto's unless a test passes its own). */
  constructor(options: { kube: KubePort; randomInt?: RandomInt }) {
    this.kube = options.kube;
    this.randomInt = options.randomInt ?? randomInt;
  }

  /** Reads every data[] and dataFrom[] entry (generators included); all reads start together. */
  async fetch(spec: ExternalSecretSpec, clients: Map<string, SecretsClient>, namespace: string): Promise<Fetched> {
    const clientFor = (ref: StoreRef | undefined): SecretsClient => {
      const c = clients.get(refKey(ref ?? spec.storeRef));
      if (!c) throw new SpecError("no store for this entry");
      return c;
    };
    const missing: MissingEntry[] = [];
    const tolerate = spec.target.deletionPolicy !== "Retain";
    const guard = async <T>(what: MissingEntry, p: Promise<T>): Promise<T | undefined> => {
      try {
        return await p;
      } catch (err) {
        if (err instanceof SecretNotFound && tolerate) {
          missing.push(what);
          return undefined;
        }
        if (err instanceof SecretNotFound) missing.push(what);
        throw err;
      }
    };
    // All reads start together, so the AWS client coalesces them into batch calls.
    const dataFromResults = spec.dataFrom.map((item, index) =>
      "generatorRef" in item ? this.generate(item.generatorRef, item.rewrite, namespace) : guard({ field: "dataFrom", index, key: describe(item) }, this.fetchDataFrom(item, clientFor(item.storeRef))),
    );
    const dataResults = spec.data.map((item, index) =>
      guard({ field: "data", index, key: item.remoteRef.key }, clientFor(item.storeRef).getSecret({
        key: item.remoteRef.key,
        ...(item.remoteRef.property ? { property: item.remoteRef.property } : {}),
        ...(item.remoteRef.version ? { version: item.remoteRef.version } : {}),
        metadataPolicy: item.remoteRef.metadataPolicy,
      })),
    );
    const [fromSettled, dataSettled] = await Promise.all([Promise.allSettled(dataFromResults), Promise.allSettled(dataResults)]);
    const failure = [...fromSettled, ...dataSettled].find((s) => s.status === "rejected");
    if (failure) throw failure.reason;
    const out: Record<string, Uint8Array> = {};
    // dataFrom first, in order; data[] wins over dataFrom for the same key (as ESO).
    for (const r of fromSettled) if (r.status === "fulfilled" && r.value) Object.assign(out, r.value);
    spec.data.forEach((item, i) => {
      const r = dataSettled[i];
      if (r?.status === "fulfilled" && r.value) out[item.secretKey] = decodeValue(r.value, item.remoteRef.decodingStrategy, item.secretKey);
    });
    return { data: out, missing, found: fromSettled.length + dataSettled.length - missing.length };
  }

  /**
   * A dataFrom generator entry (ESO's handleGenerateSecrets): the generator's values, keys rewritten,
   * then checked. Runs only inside a refresh, so a value changes only when the ExternalSecret refreshes.
   */
  private async generate(ref: GeneratorRef, rewrite: DataFromItem["rewrite"], namespace: string): Promise<Record<string, Uint8Array>> {
    const group = ref.apiVersion.split("/")[0] ?? "";
    if (group !== GENERATORS_GROUP || !ref.apiVersion.includes("/")) {
      throw new GeneratorError("UnsupportedGenerator", `generatorRef may only reference the generators group, but got ${JSON.stringify(ref.apiVersion.slice(0, 100))}`);
    }
    if (ref.kind !== "Password" || ref.apiVersion !== resources.password.group + "/" + resources.password.version) {
      throw new GeneratorError("UnsupportedGenerator", `generator kind ${ref.kind} (${ref.apiVersion.slice(0, 100)}) is not supported by sealbridge; supported: Password (${GENERATORS_GROUP}/v1alpha1)`);
    }
    const obj = await this.kube.get(resources.password, namespace, ref.name);
    if (!obj) throw new GeneratorError("GeneratorNotFound", `unable to get generator: Password ${JSON.stringify(ref.name)} not found in namespace ${namespace}`);
    let map: Record<string, Uint8Array>;
    try {
      map = generatePasswords(parsePasswordSpec(obj["spec"]), this.randomInt);
    } catch (err) {
      if (err instanceof SpecError || err instanceof PasswordSpecError) {
        throw new GeneratorError("InvalidGenerator", `error using generator Password ${JSON.stringify(ref.name)}: ${err.message}`);
      }
      throw err;
    }
    map = rewriteKeys(map, rewrite);
    const bad = Object.keys(map).find((k) => !/^[-._a-zA-Z0-9]+$/.test(k));
    if (bad !== undefined) throw new KeyRewriteError(`invalid secret key ${JSON.stringify(bad)}: keys may hold only letters, digits, '-', '_' and '.'`);
    return map;
  }

  private async fetchDataFrom(item: DataFromItem, client: SecretsClient): Promise<Record<string, Uint8Array>> {
    let map: Record<string, Uint8Array>;
    let strategy;
    if ("generatorRef" in item) throw new GeneratorError("UnsupportedGenerator", "a generator entry has no store");
    if ("extract" in item) {
      const r = item.extract;
      map = await client.getSecretMap({
        key: r.key,
        ...(r.property ? { property: r.property } : {}),
        ...(r.version ? { version: r.version } : {}),
        metadataPolicy: r.metadataPolicy,
      });
      strategy = r;
    } else {
      const f = item.find;
      map = await client.findSecrets({
        ...(f.path ? { path: f.path } : {}),
        ...(f.nameRegexp ? { nameRegexp: f.nameRegexp } : {}),
        ...(f.tags ? { tags: f.tags } : {}),
      });
      strategy = f;
    }
    // As ESO: rewrite first; keys are converted only when no rewrite is given, then must be valid.
    map = item.rewrite.length > 0 ? rewriteKeys(map, item.rewrite) : convertKeys(map, strategy.conversionStrategy);
    const bad = Object.keys(map).find((k) => !/^[-._a-zA-Z0-9]+$/.test(k));
    if (bad !== undefined) throw new KeyRewriteError(`invalid secret key ${JSON.stringify(bad)}: keys may hold only letters, digits, '-', '_' and '.'`);
    return decodeValues(map, strategy.decodingStrategy);
  }
}

function describe(item: DataFromItem): string {
  if ("generatorRef" in item) return `generator ${item.generatorRef.kind}/${item.generatorRef.name}`;
  return "extract" in item ? item.extract.key : `find ${JSON.stringify(item.find)}`;
}
