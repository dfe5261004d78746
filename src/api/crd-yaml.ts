// The YAML files in crds/, rendered from the CRD definitions (one source of truth).
import { stringify } from "yaml";
import { allCrds, crdManifest, type CrdSpec } from "./crds.ts";

export interface CrdFile {
  fileName: string;
  content: string;
}

export function crdFile(spec: CrdSpec): CrdFile {
  const header = "# Generated from src/api/crds.ts by `npm run crds`; do not edit by hand.\n";
  return { fileName: `${spec.group}_${spec.plural}.yaml`, content: header + stringify(crdManifest(spec), { lineWidth: 0, aliasDuplicateObjects: false }) };
}

export function allCrdFiles(): CrdFile[] {
  return allCrds.map(crdFile);
}
