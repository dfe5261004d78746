// Go's time.ParseInLocation(layout, value, time.Local) with Local = UTC (the controller's zone),
// for Sprig's toDate/mustToDate. Works on bytes, like Go, so lengths and quoting match.
import { bytesToGoString, goStringToBytes } from "./gostring.ts";
import { GoTime } from "./values.ts";

export class TimeParseError extends Error {}

const LONG_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const SHORT_MONTHS = LONG_MONTHS.map((m) => m.slice(0, 3));
const LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const SHORT_DAYS = LONG_DAYS.map((d) => d.slice(0, 3));

type Std =
  | "none" | "LongMonth" | "Month" | "NumMonth" | "ZeroMonth" | "LongWeekDay" | "WeekDay" | "Day" | "UnderDay" | "ZeroDay"
  | "UnderYearDay" | "ZeroYearDay" | "Hour" | "Hour12" | "ZeroHour12" | "Minute" | "ZeroMinute" | "Second" | "ZeroSecond"
  | "LongYear" | "Year" | "PM" | "pm" | "TZ" | "ISO8601TZ" | "ISO8601SecondsTZ" | "ISO8601ShortTZ" | "ISO8601ColonTZ"
  | "ISO8601ColonSecondsTZ" | "NumTZ" | "NumSecondsTz" | "NumShortTZ" | "NumColonTZ" | "NumColonSecondsTZ" | "FracSecond0" | "FracSecond9";

interface Chunk {
  prefix: string;
  std: Std;
  /** Digits of a fractional-second element. */
  digits: number;
  suffix: string;
}

const isDigitAt = (s: string, i: number): boolean => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;
const startsWithLower = (s: string): boolean => /^[a-z]/.test(s);

/** time.nextStdChunk */
function nextStdChunk(layout: string): Chunk {
  const at = (i: number, prefixEnd: number, std: Std, len: number, digits = 0): Chunk => ({ prefix: layout.slice(0, prefixEnd), std, digits, suffix: layout.slice(i + len) });
  for (let i = 0; i < layout.length; i++) {
    const c = layout[i];
    const rest = layout.slice(i);
    switch (c) {
      case "J":
        if (rest.startsWith("Jan")) {
          if (rest.startsWith("January")) return at(i, i, "LongMonth", 7);
          if (!startsWithLower(rest.slice(3))) return at(i, i, "Month", 3);
        }
        break;
      case "M":
        if (rest.length >= 3) {
          if (rest.startsWith("Mon")) {
            if (rest.startsWith("Monday")) return at(i, i, "LongWeekDay", 6);
            if (!startsWithLower(rest.slice(3))) return at(i, i, "WeekDay", 3);
          }
          if (rest.startsWith("MST")) return at(i, i, "TZ", 3);
        }
        break;
      case "0": {
        const n = rest[1];
        if (n !== undefined && n >= "1" && n <= "6") {
          const std0x: Std[] = ["ZeroMonth", "ZeroDay", "ZeroHour12", "ZeroMinute", "ZeroSecond", "Year"];
          return at(i, i, std0x[Number(n) - 1] ?? "none", 2);
        }
        if (rest.startsWith("002")) return at(i, i, "ZeroYearDay", 3);
        break;
      }
      case "1":
        if (rest[1] === "5") return at(i, i, "Hour", 2);
        return at(i, i, "NumMonth", 1);
      case "2":
        if (rest.startsWith("2006")) return at(i, i, "LongYear", 4);
        return at(i, i, "Day", 1);
      case "_":
        if (rest[1] === "2") {
          if (rest.startsWith("_2006")) return at(i, i + 1, "LongYear", 5);
          return at(i, i, "UnderDay", 2);
        }
        if (rest.startsWith("__2")) return at(i, i, "UnderYearDay", 3);
        break;
      case "3":
        return at(i, i, "Hour12", 1);
      case "4":
        return at(i, i, "Minute", 1);
      case "5":
        return at(i, i, "Second", 1);
      case "P":
        if (rest[1] === "M") return at(i, i, "PM", 2);
        break;
      case "p":
        if (rest[1] === "m") return at(i, i, "pm", 2);
        break;
      case "-":
        if (rest.startsWith("-070000")) return at(i, i, "NumSecondsTz", 7);
        if (rest.startsWith("-07:00:00")) return at(i, i, "NumColonSecondsTZ", 9);
        if (rest.startsWith("-0700")) return at(i, i, "NumTZ", 5);
        if (rest.startsWith("-07:00")) return at(i, i, "NumColonTZ", 6);
        if (rest.startsWith("-07")) return at(i, i, "NumShortTZ", 3);
        break;
      case "Z":
        if (rest.startsWith("Z070000")) return at(i, i, "ISO8601SecondsTZ", 7);
        if (rest.startsWith("Z07:00:00")) return at(i, i, "ISO8601ColonSecondsTZ", 9);
        if (rest.startsWith("Z0700")) return at(i, i, "ISO8601TZ", 5);
        if (rest.startsWith("Z07:00")) return at(i, i, "ISO8601ColonTZ", 6);
        if (rest.startsWith("Z07")) return at(i, i, "ISO8601ShortTZ", 3);
        break;
      case ".":
      case ",": {
        const ch = rest[1];
        if (ch === "0" || ch === "9") {
          let j = i + 1;
          while (j < layout.length && layout[j] === ch) j++;
          if (!isDigitAt(layout, j)) return at(i, i, ch === "0" ? "FracSecond0" : "FracSecond9", j - i, j - (i + 1));
        }
        break;
      }
      default:
        break;
    }
  }
  return { prefix: layout, std: "none", digits: 0, suffix: "" };
}

/** The time package's quote on a byte string. */
function quoteBytes(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const b = s.charCodeAt(i);
    if (b >= 0x80 || b < 0x20) out += "\\x" + b.toString(16).padStart(2, "0");
    else out += (s[i] === '"' || s[i] === "\\" ? "\\" : "") + s[i];
  }
  return out + '"';
}

class Bad extends Error {}

function getnum(s: string, fixed: boolean): [number, string] {
  if (!isDigitAt(s, 0)) throw new Bad();
  if (!isDigitAt(s, 1)) {
    if (fixed) throw new Bad();
    return [s.charCodeAt(0) - 48, s.slice(1)];
  }
  return [(s.charCodeAt(0) - 48) * 10 + (s.charCodeAt(1) - 48), s.slice(2)];
}

function getnum3(s: string, fixed: boolean): [number, string] {
  let n = 0;
  let i = 0;
  for (; i < 3 && isDigitAt(s, i); i++) n = n * 10 + (s.charCodeAt(i) - 48);
  if (i === 0 || (fixed && i !== 3)) throw new Bad();
  return [n, s.slice(i)];
}

function match(s1: string, s2: string): boolean {
  for (let i = 0; i < s1.length; i++) {
    let c1 = s1.charCodeAt(i);
    let c2 = s2.charCodeAt(i);
    if (c1 !== c2) {
      c1 |= 0x20;
      c2 |= 0x20;
      if (c1 !== c2 || c1 < 97 || c1 > 122) return false;
    }
  }
  return true;
}

function lookup(tab: string[], val: string): [number, string] {
  for (const [i, v] of tab.entries()) {
    if (val.length >= v.length && match(val.slice(0, v.length), v)) return [i, val.slice(v.length)];
  }
  throw new Bad();
}

/** leadingInt: digits as a number; undefined on overflow past 2^63. */
function leadingInt(s: string): { x: bigint; rem: string } | undefined {
  let x = 0n;
  let i = 0;
  for (; isDigitAt(s, i); i++) {
    if (x > (1n << 63n) / 10n) return undefined;
    x = x * 10n + BigInt(s.charCodeAt(i) - 48);
    if (x > 1n << 63n) return undefined;
  }
  return { x, rem: s.slice(i) };
}

function atoi(s: string): number {
  let neg = false;
  if (s.length > 0 && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  const r = leadingInt(s);
  if (r === undefined || r.rem.length > 0) throw new Bad();
  const x = Number(BigInt.asIntN(64, r.x));
  return neg ? -x : x;
}

function parseSignedOffset(value: string): number {
  if (value[0] !== "-" && value[0] !== "+") return 0;
  const r = leadingInt(value.slice(1));
  if (r === undefined || r.rem === value.slice(1) || r.x > 23n) return 0;
  return value.length - r.rem.length;
}

function parseTimeZone(value: string): number | undefined {
  if (value.length < 3) return undefined;
  if (value.startsWith("ChST") || value.startsWith("MeST")) return 4;
  if (value.startsWith("GMT")) return value.length === 3 ? 3 : 3 + parseSignedOffset(value.slice(3));
  if (value[0] === "+" || value[0] === "-") {
    const n = parseSignedOffset(value);
    return n > 0 ? n : undefined;
  }
  let nUpper = 0;
  for (; nUpper < 6 && nUpper < value.length; nUpper++) {
    const c = value[nUpper] ?? "";
    if (c < "A" || c > "Z") break;
  }
  switch (nUpper) {
    case 5:
      return value[4] === "T" ? 5 : undefined;
    case 4:
      return value[3] === "T" || value.startsWith("WITA") ? 4 : undefined;
    case 3:
      return 3;
    default:
      return undefined;
  }
}

function parseNanoseconds(value: string, nbytes: number): { ns: number; range: string } {
  if (value[0] !== "." && value[0] !== ",") throw new Bad();
  if (nbytes > 10) {
    value = value.slice(0, 10);
    nbytes = 10;
  }
  let ns = atoi(value.slice(1, nbytes));
  if (ns < 0) return { ns: 0, range: "fractional second" };
  for (let i = 0; i < 10 - nbytes; i++) ns *= 10;
  return { ns, range: "" };
}

function skip(value: string, prefix: string): string {
  while (prefix.length > 0) {
    if (prefix[0] === " ") {
      if (value.length > 0 && value[0] !== " ") throw new Bad();
      prefix = prefix.replace(/^ +/, "");
      value = value.replace(/^ +/, "");
      continue;
    }
    if (value.length === 0 || value[0] !== prefix[0]) throw new Bad();
    prefix = prefix.slice(1);
    value = value.slice(1);
  }
  return value;
}

const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const DAYS_BEFORE = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];
function daysIn(month: number, year: number): number {
  if (month === 2 && isLeap(year)) return 29;
  return (DAYS_BEFORE[month] ?? 0) - (DAYS_BEFORE[month - 1] ?? 0);
}

function utcMillis(year: number, month: number, day: number, hour: number, min: number, sec: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, 0);
  return d.getTime();
}

/** The Go-format zone name of a fixed zone without a name: "+0100". */
function offsetName(offset: number): string {
  const m = Math.trunc(offset / 60);
  const a = Math.abs(m);
  return (m < 0 ? "-" : "+") + String(Math.floor(a / 60)).padStart(2, "0") + String(a % 60).padStart(2, "0");
}

/** time.ParseInLocation(layout, value, time.Local) where Local is UTC. */
export function parseTime(layoutStr: string, valueStr: string): GoTime {
  const alayout = bytesToLatin1(layoutStr);
  const avalue = bytesToLatin1(valueStr);
  const fail = (layoutElem: string, valueElem: string, message = ""): TimeParseError =>
    new TimeParseError(latin1ToGo(message === ""
      ? `parsing time ${quoteBytes(avalue)} as ${quoteBytes(alayout)}: cannot parse ${quoteBytes(valueElem)} as ${quoteBytes(layoutElem)}`
      : `parsing time ${quoteBytes(avalue)}${message}`));
  let layout = alayout;
  let value = avalue;
  let amSet = false;
  let pmSet = false;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let utc = false;
  let zoneOffset = -1;
  let zoneName = "";
  for (;;) {
    const { prefix, std, digits, suffix } = nextStdChunk(layout);
    const stdstr = layout.slice(prefix.length, layout.length - suffix.length);
    try {
      value = skip(value, prefix);
    } catch {
      throw fail(prefix, value);
    }
    if (std === "none") {
      if (value.length !== 0) throw fail("", value, `: extra text: ${quoteBytes(value)}`);
      break;
    }
    layout = suffix;
    const hold = value;
    let range = "";
    try {
      switch (std) {
        case "Year": {
          if (value.length < 2) throw new Bad();
          const p = value.slice(0, 2);
          value = value.slice(2);
          year = atoi(p);
          year += year >= 69 ? 1900 : 2000;
          break;
        }
        case "LongYear": {
          if (value.length < 4 || !isDigitAt(value, 0)) throw new Bad();
          const p = value.slice(0, 4);
          value = value.slice(4);
          year = atoi(p);
          break;
        }
        case "Month":
          [month, value] = lookup(SHORT_MONTHS, value);
          month++;
          break;
        case "LongMonth":
          [month, value] = lookup(LONG_MONTHS, value);
          month++;
          break;
        case "NumMonth":
        case "ZeroMonth":
          [month, value] = getnum(value, std === "ZeroMonth");
          if (month <= 0 || month > 12) range = "month";
          break;
        case "WeekDay":
          [, value] = lookup(SHORT_DAYS, value);
          break;
        case "LongWeekDay":
          [, value] = lookup(LONG_DAYS, value);
          break;
        case "Day":
        case "UnderDay":
        case "ZeroDay":
          if (std === "UnderDay" && value[0] === " ") value = value.slice(1);
          [day, value] = getnum(value, std === "ZeroDay");
          break;
        case "UnderYearDay":
        case "ZeroYearDay":
          for (let i = 0; i < 2; i++) if (std === "UnderYearDay" && value[0] === " ") value = value.slice(1);
          [yday, value] = getnum3(value, std === "ZeroYearDay");
          break;
        case "Hour":
          [hour, value] = getnum(value, false);
          if (hour < 0 || hour >= 24) range = "hour";
          break;
        case "Hour12":
        case "ZeroHour12":
          [hour, value] = getnum(value, std === "ZeroHour12");
          if (hour < 0 || hour > 12) range = "hour";
          break;
        case "Minute":
        case "ZeroMinute":
          [min, value] = getnum(value, std === "ZeroMinute");
          if (min < 0 || min >= 60) range = "minute";
          break;
        case "Second":
        case "ZeroSecond": {
          [sec, value] = getnum(value, std === "ZeroSecond");
          if (sec < 0 || sec >= 60) {
            range = "second";
            break;
          }
          // A fractional second in the input that the layout does not have.
          if (value.length >= 2 && (value[0] === "." || value[0] === ",") && isDigitAt(value, 1)) {
            const next = nextStdChunk(layout).std;
            if (next === "FracSecond0" || next === "FracSecond9") break;
            let n = 2;
            while (n < value.length && isDigitAt(value, n)) n++;
            ({ ns: nsec, range } = parseNanoseconds(value, n));
            value = value.slice(n);
          }
          break;
        }
        case "PM":
        case "pm": {
          if (value.length < 2) throw new Bad();
          const p = value.slice(0, 2);
          value = value.slice(2);
          if (p === (std === "PM" ? "PM" : "pm")) pmSet = true;
          else if (p === (std === "PM" ? "AM" : "am")) amSet = true;
          else throw new Bad();
          break;
        }
        case "ISO8601TZ":
        case "ISO8601ShortTZ":
        case "ISO8601ColonTZ":
        case "ISO8601SecondsTZ":
        case "ISO8601ColonSecondsTZ":
        case "NumTZ":
        case "NumShortTZ":
        case "NumColonTZ":
        case "NumSecondsTz":
        case "NumColonSecondsTZ": {
          if (std.startsWith("ISO") && value[0] === "Z") {
            value = value.slice(1);
            utc = true;
            break;
          }
          let sign: string;
          let hh: string;
          let mm: string;
          let ss: string;
          if (std === "ISO8601ColonTZ" || std === "NumColonTZ") {
            if (value.length < 6 || value[3] !== ":") throw new Bad();
            [sign, hh, mm, ss, value] = [value.slice(0, 1), value.slice(1, 3), value.slice(4, 6), "00", value.slice(6)];
          } else if (std === "NumShortTZ" || std === "ISO8601ShortTZ") {
            if (value.length < 3) throw new Bad();
            [sign, hh, mm, ss, value] = [value.slice(0, 1), value.slice(1, 3), "00", "00", value.slice(3)];
          } else if (std === "ISO8601ColonSecondsTZ" || std === "NumColonSecondsTZ") {
            if (value.length < 9 || value[3] !== ":" || value[6] !== ":") throw new Bad();
            [sign, hh, mm, ss, value] = [value.slice(0, 1), value.slice(1, 3), value.slice(4, 6), value.slice(7, 9), value.slice(9)];
          } else if (std === "ISO8601SecondsTZ" || std === "NumSecondsTz") {
            if (value.length < 7) throw new Bad();
            [sign, hh, mm, ss, value] = [value.slice(0, 1), value.slice(1, 3), value.slice(3, 5), value.slice(5, 7), value.slice(7)];
          } else {
            if (value.length < 5) throw new Bad();
            [sign, hh, mm, ss, value] = [value.slice(0, 1), value.slice(1, 3), value.slice(3, 5), "00", value.slice(5)];
          }
          // Go checks the ranges even when a component failed to parse (it is then 0).
          let hr = 0;
          let mi = 0;
          let se = 0;
          let bad = false;
          try {
            hr = getnum(hh, true)[0];
            mi = getnum(mm, true)[0];
            se = getnum(ss, true)[0];
          } catch {
            bad = true;
          }
          if (hr > 24) range = "time zone offset hour";
          if (mi > 60) range = "time zone offset minute";
          if (se > 60) range = "time zone offset second";
          zoneOffset = (hr * 60 + mi) * 60 + se;
          if (sign === "-") zoneOffset = -zoneOffset;
          else if (sign !== "+") bad = true;
          if (bad && range === "") throw new Bad();
          break;
        }
        case "TZ": {
          if (value.startsWith("UTC")) {
            utc = true;
            value = value.slice(3);
            break;
          }
          const n = parseTimeZone(value);
          if (n === undefined) throw new Bad();
          zoneName = value.slice(0, n);
          value = value.slice(n);
          break;
        }
        case "FracSecond0": {
          const ndigit = 1 + digits;
          if (value.length < ndigit) throw new Bad();
          ({ ns: nsec, range } = parseNanoseconds(value, ndigit));
          value = value.slice(ndigit);
          break;
        }
        case "FracSecond9": {
          if (value.length < 2 || (value[0] !== "." && value[0] !== ",") || !isDigitAt(value, 1)) break;
          let i = 0;
          while (i + 1 < value.length && isDigitAt(value, i + 1)) i++;
          ({ ns: nsec, range } = parseNanoseconds(value, 1 + i));
          value = value.slice(1 + i);
          break;
        }
      }
    } catch (e) {
      if (!(e instanceof Bad)) throw e;
      if (range !== "") throw fail(stdstr, value, `: ${range} out of range`);
      throw fail(stdstr, hold);
    }
    if (range !== "") throw fail(stdstr, value, `: ${range} out of range`);
  }
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;

  if (yday >= 0) {
    let d = 0;
    let m = 0;
    if (isLeap(year)) {
      if (yday === 31 + 29) {
        m = 2;
        d = 29;
      } else if (yday > 31 + 29) yday--;
    }
    if (yday < 1 || yday > 365) throw fail("", value, ": day-of-year out of range");
    if (m === 0) {
      m = Math.floor((yday - 1) / 31) + 1;
      if ((DAYS_BEFORE[m] ?? 0) < yday) m++;
      d = yday - (DAYS_BEFORE[m - 1] ?? 0);
    }
    if (month >= 0 && month !== m) throw fail("", value, ": day-of-year does not match month");
    month = m;
    if (day >= 0 && day !== d) throw fail("", value, ": day-of-year does not match day");
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(month, year)) throw fail("", value, ": day out of range");

  const ms = utcMillis(year, month, day, hour, min, sec) + Math.floor(nsec / 1e6);
  const nanos = nsec % 1e6;
  if (utc) return new GoTime(ms, nanos, 0, "UTC");
  if (zoneOffset !== -1) {
    // Local (UTC) when the offset and name fit it, else a fixed zone.
    if (zoneOffset === 0 && (zoneName === "" || zoneName === "UTC")) return new GoTime(ms, nanos, 0, "UTC");
    return new GoTime(ms - zoneOffset * 1000, nanos, zoneOffset, zoneName === "" ? offsetName(zoneOffset) : latin1ToGo(zoneName));
  }
  if (zoneName !== "") {
    if (zoneName === "UTC") return new GoTime(ms, nanos, 0, "UTC");
    let offset = 0;
    if (zoneName.length > 3 && zoneName.startsWith("GMT")) offset = atoi(zoneName.slice(3)) * 3600;
    // Go records the name with the offset it could work out, without shifting the clock reading.
    return new GoTime(ms, nanos, offset, latin1ToGo(zoneName));
  }
  return new GoTime(ms, nanos, 0, "UTC");
}

function bytesToLatin1(s: string): string {
  return Buffer.from(goStringToBytes(s)).toString("latin1");
}

function latin1ToGo(s: string): string {
  return bytesToGoString(Buffer.from(s, "latin1"));
}
