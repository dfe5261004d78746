// What `sealbridge check` reports: one finding per problem, with where it is (file and line, relative
// to the working directory) and which object; a message that names fields, keys, fingerprints and
// transformations but never a value.
export type Severity = "error" | "warning" | "notice";

/** Rule ids are part of the JSON output (stable): a CI can filter or allow-list by them. */
export type RuleId =
  | "parse-error"
  | "file-too-large"
  | "invalid-manifest"
  | "kustomize-error"
  | "not-rendered"
  | "sealed-unknown-certificate"
  | "sealed-key-size-mismatch"
  | "sealed-invalid-ciphertext"
  | "sealed-unverifiable-offline"
  | "sealed-does-not-decrypt"
  | "age-unknown-recipient"
  | "age-unverifiable-offline"
  | "scope-broken-by-rendering"
  | "scope-unknown-origin"
  | "sops-recipients-mismatch"
  | "sops-recipients-unchecked"
  | "sops-invalid"
  | "store-not-found"
  | "plain-secret";

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** Path relative to the working directory, with "/" separators. */
  file: string;
  /** 1-based; 0 when the finding is about the whole file. */
  line: number;
  /** "Kind namespace/name" (or "Kind name") of the object concerned, when there is one. */
  object?: string;
  message: string;
}

/** Findings that fail the check (exit status 1): errors and warnings; notices only inform. */
export function failing(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity !== "notice");
}

/** Stable order: by file, line, rule, object, message; duplicates dropped. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const f of findings) {
    const key = `${f.file}\0${f.line}\0${f.rule}\0${f.object ?? ""}\0${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => cmp(a.file, b.file) || a.line - b.line || cmp(a.rule, b.rule) || cmp(a.object ?? "", b.object ?? "") || cmp(a.message, b.message));
}
