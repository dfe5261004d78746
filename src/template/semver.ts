// Masterminds/semver v3.3.0 as Sprig's semver and semverCompare use it: NewVersion, NewConstraint
// and Check, and *semver.Version as a template value with its methods.
import { FuncError } from "./errors.ts";
import { GoStruct, Int64, type StructMethod, type Value } from "./values.ts";

export class SemverError extends Error {}

interface Version {
  major: bigint;
  minor: bigint;
  patch: bigint;
  pre: string;
  metadata: string;
  original: string;
}

const CV = String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const SV = String.raw`v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const OPS = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;
// RE2's \s: no vertical tab or Unicode spaces.
const S = String.raw`[\t\n\f\r ]`;
const VERSION_RE = new RegExp(`^${SV}$`);
const CONSTRAINT_RE = new RegExp(`^${S}*(${OPS})${S}*(${CV})${S}*$`);
const RANGE_RE = new RegExp(`${S}*(${CV})${S}+-${S}+(${CV})${S}*`, "g");
const FIND_RE = new RegExp(`(${OPS})${S}*(${CV})`, "g");
const VALID_RE = new RegExp(`^(${S}*(${OPS})${S}*(${CV})${S}*)((?:${S}+|,${S}*)(${OPS})${S}*(${CV})${S}*)*$`);

const NUM = /^[0-9]*$/;
const ALLOWED = /^[0-9A-Za-z-]*$/;

function parseUint(s: string): bigint {
  const n = BigInt(s);
  if (n >= 1n << 64n) throw new SemverError(`Error parsing version segment: strconv.ParseUint: parsing "${s}": value out of range`);
  return n;
}

function validatePrerelease(p: string): void {
  for (const part of p.split(".")) {
    if (NUM.test(part)) {
      if (part.length > 1 && part[0] === "0") throw new SemverError("Version segment starts with 0");
    } else if (!ALLOWED.test(part)) throw new SemverError("Invalid Prerelease string");
  }
}

export function newVersion(v: string): Version {
  const m = VERSION_RE.exec(v);
  if (m === null) throw new SemverError("Invalid Semantic Version");
  const sv: Version = {
    major: parseUint(m[1] ?? "0"),
    minor: m[2] ? parseUint(m[2].slice(1)) : 0n,
    patch: m[3] ? parseUint(m[3].slice(1)) : 0n,
    pre: m[5] ?? "",
    metadata: m[8] ?? "",
    original: v,
  };
  if (sv.pre !== "") validatePrerelease(sv.pre);
  if (sv.metadata !== "" && !sv.metadata.split(".").every((p) => ALLOWED.test(p))) throw new SemverError("Invalid Metadata string");
  return sv;
}

export function versionString(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}` + (v.pre !== "" ? `-${v.pre}` : "") + (v.metadata !== "" ? `+${v.metadata}` : "");
}

const cmpBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
const isUintText = (s: string): boolean => /^[0-9]+$/.test(s) && BigInt(s) < 1n << 64n;

function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === "") return -1;
  if (o === "") return 1;
  const sNum = isUintText(s);
  const oNum = isUintText(o);
  if (!sNum && !oNum) return s > o ? 1 : -1;
  if (!oNum) return -1;
  if (!sNum) return 1;
  return BigInt(s) > BigInt(o) ? 1 : -1;
}

function comparePrerelease(v: string, o: string): number {
  const sp = v.split(".");
  const op = o.split(".");
  for (let i = 0; i < Math.max(sp.length, op.length); i++) {
    const d = comparePrePart(sp[i] ?? "", op[i] ?? "");
    if (d !== 0) return d;
  }
  return 0;
}

export function compare(v: Version, o: Version): number {
  const d = cmpBig(v.major, o.major) || cmpBig(v.minor, o.minor) || cmpBig(v.patch, o.patch);
  if (d !== 0) return d;
  if (v.pre === "" && o.pre === "") return 0;
  if (v.pre === "") return 1;
  if (o.pre === "") return -1;
  return comparePrerelease(v.pre, o.pre);
}

interface Constraint {
  con: Version;
  orig: string;
  op: string;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

const isX = (x: string): boolean => x === "x" || x === "*" || x === "X";

function parseConstraint(c: string): Constraint {
  if (c.length === 0) return { con: newVersion("0.0.0"), orig: c, op: "", dirty: true, minorDirty: false, patchDirty: false };
  const m = CONSTRAINT_RE.exec(c);
  if (m === null) throw new SemverError(`improper constraint: ${c}`);
  const [, op = "", orig = "", major = "", minor = "", patch = "", pre = ""] = m;
  let ver = orig;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major) || major === "") {
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (isX(minor.replace(/^\./, "")) || minor === "") {
    minorDirty = dirty = true;
    ver = `${major}.0.0${pre}`;
  } else if (isX(patch.replace(/^\./, "")) || patch === "") {
    patchDirty = dirty = true;
    ver = `${major}${minor}.0${pre}`;
  }
  let con: Version;
  try {
    con = newVersion(ver);
  } catch {
    throw new SemverError("constraint Parser Error");
  }
  return { con, orig, op, dirty, minorDirty, patchDirty };
}

function rewriteRange(i: string): string {
  let o = i;
  for (const m of i.matchAll(RANGE_RE)) o = o.replace(m[0], `>= ${m[1] ?? ""}, <= ${m[11] ?? ""} `);
  return o;
}

export function newConstraint(c: string): Constraint[][] {
  return rewriteRange(c).split("||").map((v) => {
    if (!VALID_RE.test(v)) throw new SemverError(`improper constraint: ${v}`);
    const found = [...v.matchAll(FIND_RE)].map((m) => m[0]);
    return (found.length === 0 ? [v] : found).map(parseConstraint);
  });
}

function tilde(v: Version, c: Constraint): boolean {
  if (compare(v, c.con) < 0) return false;
  if (c.con.major === 0n && c.con.minor === 0n && c.con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  return !(v.minor !== c.con.minor && !c.minorDirty);
}

function check(v: Version, c: Constraint): boolean {
  const preBlocked = v.pre !== "" && c.con.pre === "";
  switch (c.op) {
    case "":
    case "=":
      if (preBlocked) return false;
      return c.dirty ? tilde(v, c) : compare(v, c.con) === 0;
    case "!=":
      if (c.dirty) {
        if (preBlocked) return false;
        if (c.con.major !== v.major) return true;
        if (c.con.minor !== v.minor && !c.minorDirty) return true;
        if (c.minorDirty) return false;
        if (c.con.patch !== v.patch && !c.patchDirty) return true;
        if (c.patchDirty) return (v.pre !== "" || c.con.pre !== "") && comparePrerelease(v.pre, c.con.pre) !== 0;
      }
      return compare(v, c.con) !== 0;
    case ">":
      if (preBlocked) return false;
      if (!c.dirty) return compare(v, c.con) === 1;
      if (v.major !== c.con.major) return v.major > c.con.major;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v.minor > c.con.minor;
      return compare(v, c.con) === 1;
    case "<":
      return !preBlocked && compare(v, c.con) < 0;
    case ">=":
    case "=>":
      return !preBlocked && compare(v, c.con) >= 0;
    case "<=":
    case "=<":
      if (preBlocked) return false;
      if (!c.dirty) return compare(v, c.con) <= 0;
      if (v.major > c.con.major) return false;
      return !(v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty);
    case "~":
    case "~>":
      return !preBlocked && tilde(v, c);
    case "^":
      if (preBlocked || compare(v, c.con) < 0) return false;
      if (c.con.major > 0n || c.minorDirty) return v.major === c.con.major;
      if (v.major > 0n) return false;
      if (c.con.minor > 0n || c.patchDirty) return v.minor === c.con.minor;
      if (v.minor > 0n) return false;
      return c.con.patch === v.patch;
    default:
      return false;
  }
}

export function checkConstraint(cs: Constraint[][], v: Version): boolean {
  return cs.some((and) => and.every((c) => check(v, c)));
}

// ---- template values ----

const vPrefix = (v: Version): string => (v.original.startsWith("v") ? "v" : "");

function versionOf(x: Value, what: string): Version {
  if (x instanceof GoStruct && x.type === "*semver.Version") return x.native as Version;
  throw new FuncError(`wrong type for value; expected ${what}; got ${x instanceof GoStruct ? x.type : typeof x}`);
}

function receiverOf(x: Value): Version {
  if (x instanceof GoStruct && (x.type === "*semver.Version" || x.type === "semver.Version")) return x.native as Version;
  throw new FuncError("semver method on a value that is not a version");
}

function method(params: StructMethod["params"], call: (v: Version, args: Value[]) => Value): StructMethod {
  return { params, call: ([recv, ...args]) => call(receiverOf(recv ?? null), args) };
}

function withVersion(v: Version, pointer: boolean): GoStruct {
  const common: [string, StructMethod][] = [
    ["String", method([], (x) => versionString(x))],
    ["Major", method([], (x) => new Int64(BigInt.asIntN(64, x.major)))],
    ["Minor", method([], (x) => new Int64(BigInt.asIntN(64, x.minor)))],
    ["Patch", method([], (x) => new Int64(BigInt.asIntN(64, x.patch)))],
    ["Prerelease", method([], (x) => x.pre)],
    ["Metadata", method([], (x) => x.metadata)],
    ["IncPatch", method([], (x) => {
      const next = { ...x, pre: "", metadata: "", patch: x.pre !== "" ? x.patch : x.patch + 1n };
      return withVersion({ ...next, original: vPrefix(x) + versionString(next) }, false);
    })],
    ["IncMinor", method([], (x) => {
      const next = { ...x, pre: "", metadata: "", patch: 0n, minor: x.minor + 1n };
      return withVersion({ ...next, original: vPrefix(x) + versionString(next) }, false);
    })],
    ["IncMajor", method([], (x) => {
      const next = { ...x, pre: "", metadata: "", patch: 0n, minor: 0n, major: x.major + 1n };
      return withVersion({ ...next, original: vPrefix(x) + versionString(next) }, false);
    })],
    ["SetPrerelease", method(["string"], (x, [p]) => {
      const pre = typeof p === "string" ? p : "";
      try {
        if (pre.length > 0) validatePrerelease(pre);
      } catch (e) {
        throw new FuncError(e instanceof Error ? e.message : String(e));
      }
      const next = { ...x, pre };
      return withVersion({ ...next, original: vPrefix(x) + versionString(next) }, false);
    })],
    ["SetMetadata", method(["string"], (x, [m]) => {
      const metadata = typeof m === "string" ? m : "";
      if (metadata.length > 0 && !metadata.split(".").every((p) => ALLOWED.test(p))) throw new FuncError("Invalid Metadata string");
      const next = { ...x, metadata };
      return withVersion({ ...next, original: vPrefix(x) + versionString(next) }, false);
    })],
  ];
  // Pointer-receiver methods exist only on *Version (a function result is not addressable).
  const pointerOnly: [string, StructMethod][] = [
    ["Original", method([], (x) => x.original)],
    ["Compare", method(["any"], (x, [o]) => BigInt(compare(x, versionOf(o ?? null, "*semver.Version"))))],
    ["LessThan", method(["any"], (x, [o]) => compare(x, versionOf(o ?? null, "*semver.Version")) < 0)],
    ["LessThanEqual", method(["any"], (x, [o]) => compare(x, versionOf(o ?? null, "*semver.Version")) <= 0)],
    ["GreaterThan", method(["any"], (x, [o]) => compare(x, versionOf(o ?? null, "*semver.Version")) > 0)],
    ["GreaterThanEqual", method(["any"], (x, [o]) => compare(x, versionOf(o ?? null, "*semver.Version")) >= 0)],
    ["Equal", method(["any"], (x, [o]) => compare(x, versionOf(o ?? null, "*semver.Version")) === 0)],
  ];
  return new GoStruct({
    type: pointer ? "*semver.Version" : "semver.Version",
    methods: new Map(pointer ? [...common, ...pointerOnly] : common),
    stringer: () => versionString(v),
    json: () => versionString(v),
  }, v);
}

/** sprig semver: a *semver.Version. */
export function semverValue(s: string): GoStruct {
  try {
    return withVersion(newVersion(s), true);
  } catch (e) {
    if (e instanceof SemverError) throw new FuncError(e.message);
    throw e;
  }
}

/** sprig semverCompare(constraint, version). */
export function semverCompare(constraint: string, version: string): boolean {
  try {
    return checkConstraint(newConstraint(constraint), newVersion(version));
  } catch (e) {
    if (e instanceof SemverError) throw new FuncError(e.message);
    throw e;
  }
}
