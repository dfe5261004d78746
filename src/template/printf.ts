// Go's fmt (Sprintf, Sprint, Sprintln) over template values, following fmt/print.go and
// fmt/format.go step by step: flags, argument indexes, padding by runes, the verbs of each kind,
// %!verb(type=value) for bad verbs, and Go-syntax (%#v) output.
import { bytesToGoString, goStringToBytes, runeCount, runes } from "./gostring.ts";
import { canBackquote, formatFloat, goQuote, goQuoteRune, isPrint } from "./strconv.ts";
import { GoComplex, GoStruct, GoTime, Int64, type Value, isNilSlice, isSlice, sortedKeys, typeName } from "./values.ts";
import { formatTime } from "./time.ts";

/** fmt's per-verb flags. */
export interface Flags {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  /** %+v and %#v: plus and sharp move here for the v verb. */
  plusV: boolean;
  sharpV: boolean;
  width: number | undefined;
  prec: number | undefined;
}

const clearFlags = (): Flags => ({ minus: false, plus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false, width: undefined, prec: undefined });

const LDIGITS = "0123456789abcdefx";
const UDIGITS = "0123456789ABCDEFX";
const MAX_RUNE = 0x10ffffn;
const TOO_LARGE = 1e6;

class Printer {
  buf = "";
  f: Flags = clearFlags();
  /** Set while printing a bad verb's operand: methods (String) are not called then. */
  private erroring = false;

  // ---- fmt/format.go ----

  private writePadding(n: number): void {
    if (n <= 0) return;
    this.buf += (this.f.zero && !this.f.minus ? "0" : " ").repeat(n);
  }

  pad(s: string): void {
    const f = this.f;
    if (f.width === undefined || f.width === 0) {
      this.buf += s;
      return;
    }
    const width = f.width - runeCount(s);
    if (!f.minus) {
      this.writePadding(width);
      this.buf += s;
    } else {
      this.buf += s;
      this.writePadding(width);
    }
  }

  private withoutZero(fn: () => void): void {
    const old = this.f.zero;
    this.f.zero = false;
    fn();
    this.f.zero = old;
  }

  private fmtBoolean(v: boolean): void {
    this.pad(v ? "true" : "false");
  }

  private fmtUnicode(u: bigint): void {
    let prec = 4;
    if (this.f.prec !== undefined && this.f.prec > 4) prec = this.f.prec;
    let s = "U+" + u.toString(16).toUpperCase().padStart(prec, "0");
    if (this.f.sharp && u <= MAX_RUNE && isPrint(String.fromCodePoint(Number(u)))) s += ` '${String.fromCodePoint(Number(u))}'`;
    this.withoutZero(() => this.pad(s));
  }

  /** fmt.fmtInteger: u is the value as int64 (signed) or uint64 (unsigned). */
  private fmtIntegerBase(n: bigint, base: number, signed: boolean, verb: string, digits: string): void {
    const f = this.f;
    let u = signed ? BigInt.asIntN(64, n) : BigInt.asUintN(64, n);
    const negative = u < 0n;
    if (negative) u = -u;
    let prec = 0;
    if (f.prec !== undefined) {
      prec = f.prec;
      if (prec === 0 && u === 0n) {
        this.withoutZero(() => this.writePadding(f.width ?? 0));
        return;
      }
    } else if (f.zero && !f.minus && f.width !== undefined) {
      prec = f.width;
      if (negative || f.plus || f.space) prec--;
    }
    let s = u.toString(base);
    if (digits === UDIGITS) s = s.toUpperCase();
    if (s.length < prec) s = "0".repeat(prec - s.length) + s;
    if (f.sharp) {
      if (base === 2) s = "0b" + s;
      else if (base === 8 && s[0] !== "0") s = "0" + s;
      else if (base === 16) s = "0" + digits[16] + s;
    }
    if (verb === "O") s = "0o" + s;
    if (negative) s = "-" + s;
    else if (f.plus) s = "+" + s;
    else if (f.space) s = " " + s;
    this.withoutZero(() => this.pad(s));
  }

  private truncateString(s: string): string {
    if (this.f.prec === undefined) return s;
    let n = this.f.prec;
    let out = "";
    for (const r of runes(s)) {
      if (--n < 0) break;
      out += r.text;
    }
    return out;
  }

  private fmtS(s: string): void {
    this.pad(this.truncateString(s));
  }

  private fmtSbx(b: Uint8Array, digits: string): void {
    const f = this.f;
    let length = b.length;
    if (f.prec !== undefined && f.prec < length) length = f.prec;
    let width = 2 * length;
    if (width > 0) {
      if (f.space) {
        if (f.sharp) width *= 2;
        width += length - 1;
      } else if (f.sharp) width += 2;
    } else {
      if (f.width !== undefined) this.writePadding(f.width);
      return;
    }
    if (f.width !== undefined && f.width > width && !f.minus) this.writePadding(f.width - width);
    let out = "";
    if (f.sharp) out += "0" + digits[16];
    for (let i = 0; i < length; i++) {
      if (f.space && i > 0) {
        out += " ";
        if (f.sharp) out += "0" + digits[16];
      }
      const c = b[i] ?? 0;
      out += (digits[c >> 4] ?? "") + (digits[c & 15] ?? "");
    }
    this.buf += out;
    if (f.width !== undefined && f.width > width && f.minus) this.writePadding(f.width - width);
  }

  private fmtQ(s: string): void {
    s = this.truncateString(s);
    if (this.f.sharp && canBackquote(s)) {
      this.pad("`" + s + "`");
      return;
    }
    this.pad(goQuote(s, this.f.plus));
  }

  private fmtC(c: bigint): void {
    let r = c > MAX_RUNE ? 0xfffd : Number(c);
    if (r >= 0xd800 && r < 0xe000) r = 0xfffd;
    this.pad(String.fromCodePoint(r));
  }

  private fmtQc(c: bigint): void {
    const r = c > MAX_RUNE ? 0xfffd : Number(c);
    this.pad(goQuoteRune(r, this.f.plus));
  }

  /** fmt.fmtFloat: strconv's text, then sign, #, and zero padding rules. */
  private fmtFloatText(v: number, verb: string, precIn: number): void {
    const f = this.f;
    const prec = f.prec ?? precIn;
    let num = formatFloat(v, verb, prec);
    if (num[0] !== "-" && num[0] !== "+") num = "+" + num;
    if (f.space && num[0] === "+" && !f.plus) num = " " + num.slice(1);
    if (num[1] === "I" || num[1] === "N") {
      if (num[1] === "N" && !f.space && !f.plus) num = num.slice(1);
      this.withoutZero(() => this.pad(num));
      return;
    }
    if (f.sharp && verb !== "b") {
      let digits = 0;
      if (verb === "v" || verb === "g" || verb === "G" || verb === "x") digits = prec === -1 ? 6 : prec;
      let tail = "";
      let body = num[0] ?? "";
      let hasDecimalPoint = false;
      let sawNonzeroDigit = false;
      for (let i = 1; i < num.length; i++) {
        const c = num[i] ?? "";
        if (c === ".") {
          hasDecimalPoint = true;
          body += c;
          continue;
        }
        if (c === "p" || c === "P" || ((c === "e" || c === "E") && verb !== "x" && verb !== "X")) {
          tail = num.slice(i);
          break;
        }
        if (c !== "0") sawNonzeroDigit = true;
        if (sawNonzeroDigit) digits--;
        body += c;
      }
      if (!hasDecimalPoint) {
        if (body.length === 2 && body[1] === "0") digits--;
        body += ".";
      }
      while (digits > 0) {
        body += "0";
        digits--;
      }
      num = body + tail;
    }
    if (f.plus || num[0] !== "+") {
      if (f.zero && !f.minus && f.width !== undefined && f.width > num.length) {
        this.buf += num[0] ?? "";
        this.writePadding(f.width - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  // ---- fmt/print.go ----

  private badVerb(verb: string, v: Value): void {
    this.erroring = true;
    this.buf += "%!" + verb + "(";
    if (v === undefined || v === null) this.buf += "<nil>";
    else {
      this.buf += typeName(v) + "=";
      this.printArg(v, "v");
    }
    this.buf += ")";
    this.erroring = false;
  }

  private fmtBool(v: boolean, verb: string): void {
    if (verb === "t" || verb === "v") this.fmtBoolean(v);
    else this.badVerb(verb, v);
  }

  private fmt0x64(v: bigint, leading0x: boolean): void {
    const sharp = this.f.sharp;
    this.f.sharp = leading0x;
    this.fmtIntegerBase(v, 16, false, "v", LDIGITS);
    this.f.sharp = sharp;
  }

  private fmtInteger(n: bigint, signed: boolean, verb: string, operand: Value): void {
    switch (verb) {
      case "v":
        if (this.f.sharpV && !signed) this.fmt0x64(n, true);
        else this.fmtIntegerBase(n, 10, signed, verb, LDIGITS);
        return;
      case "d":
        return this.fmtIntegerBase(n, 10, signed, verb, LDIGITS);
      case "b":
        return this.fmtIntegerBase(n, 2, signed, verb, LDIGITS);
      case "o":
      case "O":
        return this.fmtIntegerBase(n, 8, signed, verb, LDIGITS);
      case "x":
        return this.fmtIntegerBase(n, 16, signed, verb, LDIGITS);
      case "X":
        return this.fmtIntegerBase(n, 16, signed, verb, UDIGITS);
      case "c":
        return this.fmtC(BigInt.asUintN(64, n));
      case "q":
        return this.fmtQc(BigInt.asUintN(64, n));
      case "U":
        return this.fmtUnicode(BigInt.asUintN(64, n));
      default:
        this.badVerb(verb, operand);
    }
  }

  private fmtFloat(v: number, verb: string): void {
    switch (verb) {
      case "v":
        return this.fmtFloatText(v, "g", -1);
      case "b":
      case "g":
      case "G":
      case "x":
      case "X":
        return this.fmtFloatText(v, verb, -1);
      case "f":
      case "e":
      case "E":
        return this.fmtFloatText(v, verb, 6);
      case "F":
        return this.fmtFloatText(v, "f", 6);
      default:
        this.badVerb(verb, v);
    }
  }

  private fmtComplex(v: GoComplex, verb: string): void {
    if (!"vbgGxXfFeE".includes(verb)) {
      this.badVerb(verb, v);
      return;
    }
    const oldPlus = this.f.plus;
    this.buf += "(";
    this.fmtFloat(v.re, verb);
    this.f.plus = true;
    this.fmtFloat(v.im, verb);
    this.buf += "i)";
    this.f.plus = oldPlus;
  }

  private fmtString(v: string, verb: string): void {
    switch (verb) {
      case "v":
        if (this.f.sharpV) this.fmtQ(v);
        else this.fmtS(v);
        return;
      case "s":
        return this.fmtS(v);
      case "x":
        return this.fmtSbx(goStringToBytes(v), LDIGITS);
      case "X":
        return this.fmtSbx(goStringToBytes(v), UDIGITS);
      case "q":
        return this.fmtQ(v);
      default:
        this.badVerb(verb, v);
    }
  }

  private fmtBytes(v: Uint8Array, verb: string, typeString: string): void {
    switch (verb) {
      case "v":
      case "d":
        if (this.f.sharpV) {
          this.buf += typeString + "{";
          v.forEach((c, i) => {
            if (i > 0) this.buf += ", ";
            this.fmt0x64(BigInt(c), true);
          });
          this.buf += "}";
        } else {
          this.buf += "[";
          v.forEach((c, i) => {
            if (i > 0) this.buf += " ";
            this.fmtIntegerBase(BigInt(c), 10, false, verb, LDIGITS);
          });
          this.buf += "]";
        }
        return;
      case "s":
        return this.fmtS(bytesToGoString(v));
      case "x":
        return this.fmtSbx(v, LDIGITS);
      case "X":
        return this.fmtSbx(v, UDIGITS);
      case "q":
        return this.fmtQ(bytesToGoString(v));
      default:
        this.printSlice([...v].map((b) => BigInt(b)), verb, 0, typeString, true);
    }
  }

  private handleMethods(v: Value, verb: string): boolean {
    if (this.erroring) return false;
    if (!(v instanceof GoTime) && !(v instanceof GoStruct && v.stringer !== undefined)) return false;
    if (this.f.sharpV) return false;
    if (!"vsxXq".includes(verb)) return false;
    const text = v instanceof GoTime ? formatTime(v, "2006-01-02 15:04:05.999999999 -0700 MST") : (v as GoStruct & { stringer: () => string }).stringer();
    this.fmtString(text, verb);
    return true;
  }

  printArg(arg: Value, verb: string): void {
    if (arg === undefined || arg === null) {
      if (verb === "T" || verb === "v") this.pad("<nil>");
      else this.badVerb(verb, null);
      return;
    }
    if (verb === "T") {
      this.fmtS(typeName(arg));
      return;
    }
    if (verb === "p") {
      this.badVerb(verb, arg);
      return;
    }
    if (verb === "w") {
      // Sprintf never wraps errors: %w is a bad verb.
      this.badVerb(verb, arg);
      return;
    }
    if (arg instanceof Uint8Array) {
      this.fmtBytes(arg, verb, "[]byte");
      return;
    }
    if (this.handleMethods(arg, verb)) return;
    this.printValue(arg, verb, 0);
  }

  private printValue(v: Value, verb: string, depth: number): void {
    if (depth > 0 && v !== undefined && v !== null && this.handleMethods(v, verb)) return;
    if (v === undefined) {
      if (depth === 0) this.buf += "<invalid reflect.Value>";
      else if (verb === "v") this.buf += "<nil>";
      else this.badVerb(verb, null);
      return;
    }
    if (v === null) {
      // A nil interface element.
      this.buf += this.f.sharpV ? "interface {}(nil)" : "<nil>";
      return;
    }
    if (typeof v === "boolean") return this.fmtBool(v, verb);
    if (typeof v === "bigint") return this.fmtInteger(v, true, verb, v);
    if (v instanceof Int64) return this.fmtInteger(v.value, true, verb, v);
    if (typeof v === "number") return this.fmtFloat(v, verb);
    if (v instanceof GoComplex) return this.fmtComplex(v, verb);
    if (typeof v === "string") return this.fmtString(v, verb);
    if (v instanceof Uint8Array) {
      if ("sqxX".includes(verb)) return this.fmtBytes(v, verb, "[]uint8");
      return this.printSlice([...v].map((b) => BigInt(b)), verb, depth, "[]uint8", true);
    }
    if (v instanceof GoTime) {
      this.buf += formatTime(v, "2006-01-02 15:04:05.999999999 -0700 MST");
      return;
    }
    if (v instanceof GoStruct) {
      if (v.isPointer && depth === 0) this.buf += "&";
      if (this.f.sharpV) this.buf += v.type.replace(/^\*/, "");
      this.buf += "{";
      let i = 0;
      for (const [name, field] of v.fields) {
        if (i++ > 0) this.buf += this.f.sharpV ? ", " : " ";
        if (this.f.plusV || this.f.sharpV) this.buf += name + ":";
        this.printValue(field, verb, depth + 1);
      }
      this.buf += "}";
      return;
    }
    if (isSlice(v)) return this.printSlice(v, verb, depth, typeName(v), false, isNilSlice(v));
    // map
    const sharpV = this.f.sharpV;
    this.buf += sharpV ? typeName(v) + "{" : "map[";
    sortedKeys(v).forEach((k, i) => {
      if (i > 0) this.buf += sharpV ? ", " : " ";
      this.printValue(k, verb, depth + 1);
      this.buf += ":";
      this.printValue(v.get(k), verb, depth + 1);
    });
    this.buf += sharpV ? "}" : "]";
  }

  /** Slices: elements of []uint8 print as unsigned integers. */
  private printSlice(items: readonly Value[], verb: string, depth: number, type: string, unsignedElems: boolean, isNil = false): void {
    if (this.f.sharpV) {
      this.buf += type;
      if (isNil) {
        this.buf += "(nil)";
        return;
      }
      this.buf += "{";
      items.forEach((e, i) => {
        if (i > 0) this.buf += ", ";
        if (unsignedElems) this.fmtInteger(e as bigint, false, verb, e);
        else this.printValue(e, verb, depth + 1);
      });
      this.buf += "}";
      return;
    }
    this.buf += "[";
    items.forEach((e, i) => {
      if (i > 0) this.buf += " ";
      if (unsignedElems) this.fmtInteger(e as bigint, false, verb, e);
      else this.printValue(e, verb, depth + 1);
    });
    this.buf += "]";
  }
}

/** fmt formatting of one operand with a verb and flags (as Sprintf would print it). */
export function formatValue(v: Value, verb: string, flags: Partial<Flags> = {}): string {
  const p = new Printer();
  p.f = { ...clearFlags(), ...flags };
  if (verb === "v") {
    p.f.sharpV = p.f.sharp;
    p.f.sharp = false;
    p.f.plusV = p.f.plus;
    p.f.plus = false;
  }
  p.printArg(v === undefined ? null : v, verb);
  return p.buf;
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly Value[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === "string";
    if (i > 0 && !isString && !prevString) p.buf += " ";
    p.f = clearFlags();
    p.printArg(a ?? null, "v");
    prevString = isString;
  });
  return p.buf;
}

/** fmt.Sprintln: always spaces, then a newline. */
export function sprintln(args: readonly Value[]): string {
  const p = new Printer();
  args.forEach((a, i) => {
    if (i > 0) p.buf += " ";
    p.f = clearFlags();
    p.printArg(a ?? null, "v");
  });
  return p.buf + "\n";
}

/** parsenum: digits at s[start:end]; too large numbers are not numbers. */
function parsenum(s: string, start: number, end: number): { num: number; isnum: boolean; next: number } {
  if (start >= end) return { num: 0, isnum: false, next: end };
  let num = 0;
  let isnum = false;
  let i = start;
  for (; i < end && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57; i++) {
    if (num > TOO_LARGE || num < -TOO_LARGE) return { num: 0, isnum: false, next: end };
    num = num * 10 + (s.charCodeAt(i) - 48);
    isnum = true;
  }
  return { num, isnum, next: i };
}

/** intFromArg: a width or precision operand must be an int within ±1e6. */
function intFromArg(a: readonly Value[], argNum: number): { num: number; isInt: boolean; next: number } {
  if (argNum >= a.length) return { num: 0, isInt: false, next: argNum };
  const v = a[argNum];
  let num = 0;
  let isInt = false;
  if (typeof v === "bigint" || v instanceof Int64) {
    const n = typeof v === "bigint" ? v : v.value;
    num = Number(n);
    isInt = true;
    if (num > TOO_LARGE || num < -TOO_LARGE) {
      num = 0;
      isInt = false;
    }
  }
  return { num, isInt, next: argNum + 1 };
}

/** fmt.Sprintf */
export function sprintf(format: string, a: readonly Value[]): string {
  const p = new Printer();
  const end = format.length;
  let argNum = 0;
  let afterIndex = false;
  let reordered = false;
  let goodArgNum = true;

  const argNumber = (i: number): { i: number; found: boolean } => {
    if (i >= end || format[i] !== "[") return { i, found: false };
    reordered = true;
    // parseArgNumber
    let index = 0;
    let wid = 1;
    let ok = false;
    if (end - i >= 3) {
      for (let j = i + 1; j < end; j++) {
        if (format[j] === "]") {
          const n = parsenum(format, i + 1, j);
          if (!n.isnum || n.next !== j) {
            wid = j - i + 1;
            ok = false;
          } else {
            index = n.num - 1;
            wid = j - i + 1;
            ok = true;
          }
          break;
        }
      }
    }
    if (ok && index >= 0 && index < a.length) {
      argNum = index;
      return { i: i + wid, found: true };
    }
    goodArgNum = false;
    return { i: i + wid, found: ok };
  };

  let i = 0;
  formatLoop: while (i < end) {
    goodArgNum = true;
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      p.buf += format.slice(i);
      break;
    }
    p.buf += format.slice(i, pct);
    i = pct + 1;
    p.f = clearFlags();
    const f = p.f;
    simpleFormat: for (; i < end; i++) {
      const c = format[i] ?? "";
      switch (c) {
        case "#":
          f.sharp = true;
          break;
        case "0":
          f.zero = true;
          break;
        case "+":
          f.plus = true;
          break;
        case "-":
          f.minus = true;
          break;
        case " ":
          f.space = true;
          break;
        default:
          if (c >= "a" && c <= "z" && argNum < a.length) {
            if (c === "v") {
              f.sharpV = f.sharp;
              f.sharp = false;
              f.plusV = f.plus;
              f.plus = false;
            }
            p.printArg(a[argNum] ?? null, c);
            argNum++;
            i++;
            continue formatLoop;
          }
          break simpleFormat;
      }
    }

    let r = argNumber(i);
    i = r.i;
    afterIndex = r.found;

    if (i < end && format[i] === "*") {
      i++;
      const w = intFromArg(a, argNum);
      argNum = w.next;
      f.width = w.isInt ? w.num : undefined;
      if (!w.isInt) p.buf += "%!(BADWIDTH)";
      if (w.isInt && w.num < 0) {
        f.width = -w.num;
        f.minus = true;
        f.zero = false;
      }
      afterIndex = false;
    } else {
      const n = parsenum(format, i, end);
      i = n.next;
      if (n.isnum) f.width = n.num;
      if (afterIndex && n.isnum) goodArgNum = false;
    }

    if (i + 1 < end && format[i] === ".") {
      i++;
      if (afterIndex) goodArgNum = false;
      r = argNumber(i);
      i = r.i;
      afterIndex = r.found;
      if (i < end && format[i] === "*") {
        i++;
        const w = intFromArg(a, argNum);
        argNum = w.next;
        let prec: number | undefined = w.isInt ? w.num : undefined;
        if (prec !== undefined && prec < 0) prec = undefined;
        f.prec = prec;
        if (prec === undefined) p.buf += "%!(BADPREC)";
        afterIndex = false;
      } else {
        const n = parsenum(format, i, end);
        i = n.next;
        f.prec = n.isnum ? n.num : 0;
      }
    }

    if (!afterIndex) {
      r = argNumber(i);
      i = r.i;
      afterIndex = r.found;
    }

    if (i >= end) {
      p.buf += "%!(NOVERB)";
      break;
    }

    const cp = format.codePointAt(i) ?? 0;
    i += cp > 0xffff ? 2 : 1;
    // An invalid byte decodes to U+FFFD, as utf8.DecodeRuneInString gives it.
    const verb = cp >= 0xd800 && cp <= 0xdfff ? "\ufffd" : String.fromCodePoint(cp);

    if (verb === "%") p.buf += "%";
    else if (!goodArgNum) p.buf += "%!" + verb + "(BADINDEX)";
    else if (argNum >= a.length) p.buf += "%!" + verb + "(MISSING)";
    else {
      if (verb === "v") {
        f.sharpV = f.sharp;
        f.sharp = false;
        f.plusV = f.plus;
        f.plus = false;
      }
      p.printArg(a[argNum] ?? null, verb);
      argNum++;
    }
  }

  if (!reordered && argNum < a.length) {
    p.f = clearFlags();
    p.buf += "%!(EXTRA ";
    a.slice(argNum).forEach((arg, k) => {
      if (k > 0) p.buf += ", ";
      if (arg === undefined || arg === null) p.buf += "<nil>";
      else {
        p.buf += typeName(arg) + "=";
        p.printArg(arg, "v");
      }
    });
    p.buf += ")";
  }
  return p.buf;
}
