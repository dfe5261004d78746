// Go's fmt verbs (Sprintf, Sprint, Sprintln) over template values.
import { formatFloat, goQuote, goQuoteRune } from "./strconv.ts";
import { GoStruct, GoTime, Int64, type Value, isSlice, sortedKeys, typeName } from "./values.ts";
import { formatTime } from "./time.ts";

interface Flags {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

const NO_FLAGS: Flags = { minus: false, plus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined };

function runeLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

function pad(s: string, f: Flags, zeroOk = true): string {
  if (f.width === undefined) return s;
  const n = runeLen(s);
  if (n >= f.width) return s;
  const fill = f.width - n;
  if (f.minus) return s + " ".repeat(fill);
  if (f.zero && zeroOk) {
    // zero padding goes after the sign
    const m = /^[+\- ]/.exec(s);
    if (m) return m[0] + "0".repeat(fill) + s.slice(1);
    return "0".repeat(fill) + s;
  }
  return " ".repeat(fill) + s;
}

function truncate(s: string, f: Flags): string {
  if (f.prec === undefined) return s;
  return [...s].slice(0, f.prec).join("");
}

function badVerb(verb: string, v: Value): string {
  if (v === undefined || v === null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatValue(v, "v", NO_FLAGS)})`;
}

function fmtInteger(n: bigint, verb: string, f: Flags): string {
  const neg = n < 0n;
  const a = neg ? -n : n;
  let digits: string;
  switch (verb) {
    case "d":
    case "v":
      digits = a.toString(10);
      break;
    case "b":
      digits = a.toString(2);
      break;
    case "o":
    case "O":
      digits = a.toString(8);
      break;
    case "x":
      digits = a.toString(16);
      break;
    case "X":
      digits = a.toString(16).toUpperCase();
      break;
    default:
      digits = a.toString(10);
  }
  if (f.prec !== undefined) {
    if (f.prec === 0 && a === 0n) digits = "";
    else if (digits.length < f.prec) digits = "0".repeat(f.prec - digits.length) + digits;
  }
  let prefix = "";
  if (f.sharp) {
    if (verb === "x") prefix = "0x";
    else if (verb === "X") prefix = "0X";
    else if (verb === "o" && !digits.startsWith("0")) prefix = "0";
    else if (verb === "b") prefix = "0b";
  }
  if (verb === "O") prefix = "0o";
  const sign = neg ? "-" : f.plus ? "+" : f.space ? " " : "";
  const body = prefix + digits;
  if (f.zero && !f.minus && f.width !== undefined && f.prec === undefined) {
    const w = f.width - sign.length - runeLen(body);
    return sign + (w > 0 ? "0".repeat(w) : "") + body;
  }
  return pad(sign + body, { ...f, zero: false });
}

function fmtIntValue(n: bigint, verb: string, f: Flags, v: Value): string {
  switch (verb) {
    case "v":
    case "d":
    case "b":
    case "o":
    case "O":
    case "x":
    case "X":
      return fmtInteger(n, verb, f);
    case "c":
      return pad(String.fromCodePoint(Number(n) >= 0 && Number(n) <= 0x10ffff ? Number(n) : 0xfffd), f);
    case "q":
      return pad(goQuoteRune(Number(n)), f);
    case "U": {
      let s = "U+" + n.toString(16).toUpperCase().padStart(4, "0");
      if (f.sharp && n >= 0n && n <= 0x10ffffn) s += ` '${String.fromCodePoint(Number(n))}'`;
      return pad(s, f);
    }
    default:
      return badVerb(verb, v);
  }
}

function fmtFloatValue(x: number, verb: string, f: Flags, v: Value): string {
  let s: string;
  const p = f.prec;
  switch (verb) {
    case "v":
    case "g":
      s = formatFloat(x, "g", p ?? -1);
      break;
    case "G":
      s = formatFloat(x, "G", p ?? -1);
      break;
    case "e":
    case "E":
      s = formatFloat(x, verb, p ?? 6);
      break;
    case "f":
    case "F":
      s = formatFloat(x, "f", p ?? 6);
      break;
    default:
      return badVerb(verb, v);
  }
  if (f.sharp && (verb === "v" || verb === "g" || verb === "G") && !s.includes(".") && !/[eE]/.test(s) && Number.isFinite(x)) {
    s += ".";
  }
  if (f.plus && !s.startsWith("-") && !s.startsWith("+")) s = "+" + s;
  else if (f.space && !s.startsWith("-") && !s.startsWith("+")) s = " " + s;
  if (s === "+Inf" && !f.plus) s = f.space ? " Inf" : "+Inf";
  if (!Number.isFinite(x)) return pad(s, { ...f, zero: false });
  return pad(s, f);
}

function fmtString(s: string, verb: string, f: Flags, v: Value): string {
  switch (verb) {
    case "v":
    case "s":
      return pad(truncate(s, f), f);
    case "q":
      return pad(f.sharp && !s.includes("`") ? "`" + s + "`" : goQuote(truncate(s, f), f.plus), f);
    case "x":
    case "X": {
      let bytes = Buffer.from(s, "utf8");
      if (f.prec !== undefined) bytes = bytes.subarray(0, f.prec);
      return pad(hexBytes(bytes, verb, f), f);
    }
    default:
      return badVerb(verb, v);
  }
}

function hexBytes(bytes: Uint8Array, verb: string, f: Flags): string {
  const parts: string[] = [];
  for (const b of bytes) {
    let h = b.toString(16).padStart(2, "0");
    if (verb === "X") h = h.toUpperCase();
    parts.push(h);
  }
  const prefix = f.sharp ? (verb === "X" ? "0X" : "0x") : "";
  if (f.space) return parts.map((p) => prefix + p).join(" ");
  return prefix + parts.join("");
}

/** fmt formatting of one operand with a verb. */
export function formatValue(v: Value, verb: string, f: Flags = NO_FLAGS): string {
  if (verb === "T") return pad(truncate(v === undefined || v === null ? "<nil>" : typeName(v), f), f);
  if (v === undefined || v === null) {
    if (verb === "v") return pad("<nil>", f);
    return badVerb(verb, v);
  }
  if (typeof v === "string") return fmtString(v, verb, f, v);
  if (typeof v === "boolean") {
    if (verb === "v" || verb === "t") return pad(v ? "true" : "false", f);
    return badVerb(verb, v);
  }
  if (typeof v === "bigint") return fmtIntValue(v, verb, f, v);
  if (v instanceof Int64) return fmtIntValue(v.value, verb, f, v);
  if (typeof v === "number") return fmtFloatValue(v, verb, f, v);
  if (v instanceof GoTime) {
    if (verb === "v" || verb === "s") return pad(formatTime(v, "2006-01-02 15:04:05.999999999 -0700 MST"), f);
    return badVerb(verb, v);
  }
  if (v instanceof GoStruct) {
    if (v.stringer !== undefined && (verb === "v" || verb === "s" || verb === "q")) {
      const str = v.stringer();
      return verb === "q" ? pad(goQuote(str), f) : pad(truncate(str, f), f);
    }
    const body = "{" + [...v.fields.values()].map((e) => formatElem(e, verb, f)).join(" ") + "}";
    return v.isPointer ? "&" + body : body;
  }
  if (v instanceof Uint8Array) {
    if (verb === "s") return pad(truncate(Buffer.from(v).toString("utf8"), f), f);
    if (verb === "q") return pad(goQuote(Buffer.from(v).toString("utf8")), f);
    if (verb === "x" || verb === "X") return pad(hexBytes(v, verb, f), f);
    return "[" + [...v].map((b) => fmtIntValue(BigInt(b), verb, f, BigInt(b))).join(" ") + "]";
  }
  if (isSlice(v)) {
    return "[" + v.map((e) => formatElem(e, verb, f)).join(" ") + "]";
  }
  // map
  const parts = sortedKeys(v).map((k) => `${formatElem(k, verb, f)}:${formatElem(v.get(k), verb, f)}`);
  return "map[" + parts.join(" ") + "]";
}

function formatElem(e: Value, verb: string, f: Flags): string {
  // Inside containers a nil interface prints as <nil> for every verb.
  if (e === undefined || e === null) return verb === "v" || verb === "s" || verb === "q" || verb === "d" || verb === "x" ? "<nil>" : badVerb(verb, e);
  return formatValue(e, verb, f);
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly Value[]): string {
  let out = "";
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += formatValue(a, "v");
  });
  return out;
}

/** fmt.Sprintln: always spaces, then a newline. */
export function sprintln(args: readonly Value[]): string {
  return args.map((a) => formatValue(a, "v")).join(" ") + "\n";
}

function toArgInt(v: Value): number | undefined {
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Int64) return Number(v.value);
  return undefined;
}

/** fmt.Sprintf */
export function sprintf(format: string, args: readonly Value[]): string {
  let out = "";
  let argNum = 0;
  let reordered = false;
  const end = format.length;
  let i = 0;
  while (i < end) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Flags = { ...NO_FLAGS };
    // flags
    for (; i < end; i++) {
      const c = format[i];
      if (c === "#") f.sharp = true;
      else if (c === "0") f.zero = !f.minus;
      else if (c === "+") f.plus = true;
      else if (c === "-") {
        f.minus = true;
        f.zero = false;
      } else if (c === " ") f.space = true;
      else break;
    }
    // argument index [n]
    const argIndex = (): void => {
      if (format[i] !== "[") return;
      const close = format.indexOf("]", i);
      if (close < 0) return;
      const n = Number(format.slice(i + 1, close));
      if (Number.isInteger(n) && n >= 1) {
        argNum = n - 1;
        reordered = true;
      }
      i = close + 1;
    };
    argIndex();
    // width
    if (format[i] === "*") {
      i++;
      const w = toArgInt(args[argNum]);
      if (w === undefined) out += "%!(BADWIDTH)";
      else {
        f.width = Math.abs(w);
        if (w < 0) {
          f.minus = true;
          f.zero = false;
        }
      }
      argNum++;
    } else {
      const m = /^[0-9]+/.exec(format.slice(i));
      if (m) {
        f.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === ".") {
      i++;
      argIndex();
      if (format[i] === "*") {
        i++;
        const p = toArgInt(args[argNum]);
        if (p === undefined || p < 0) {
          out += "%!(BADPREC)";
          f.prec = undefined;
        } else f.prec = p;
        argNum++;
      } else {
        const m = /^[0-9]+/.exec(format.slice(i));
        f.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    argIndex();
    if (i >= end) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    i += verb.length;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argNum++];
    out += formatValue(arg, verb === "w" ? "v" : verb, f);
  }
  if (!reordered && argNum < args.length) {
    out += "%!(EXTRA " + args.slice(argNum).map((a) => (a === undefined || a === null ? "<nil>" : `${typeName(a)}=${formatValue(a, "v")}`)).join(", ") + ")";
  }
  return out;
}
