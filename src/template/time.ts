// time.Time formatting with Go layouts ("2006-01-02T15:04:05Z07:00"), for date, now and printing.
import { GoTime } from "./values.ts";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

// Longest first so that e.g. "January" wins over "Jan" and "2006" over "2".
const TOKENS = [
  "January", "Monday", "2006", "-07:00:00", "-0700", "-07:00", "Z07:00:00", "Z0700", "Z07:00", "-07", "Z07",
  "Jan", "Mon", "MST", "002", "__2", "_2", "01", "02", "03", "04", "05", "06", "15", "PM", "pm", "1", "2", "3", "4", "5",
];

function p2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

function zoneOffset(off: number, sep: boolean, secs: boolean, z: boolean, hoursOnly = false): string {
  if (z && off === 0) return "Z";
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  const s = a % 60;
  if (hoursOnly) return sign + p2(h);
  let out = sign + p2(h) + (sep ? ":" : "") + p2(m);
  if (secs) out += (sep ? ":" : "") + p2(s);
  return out;
}

/** time.Time.Format */
export function formatTime(t: GoTime, layout: string): string {
  const d = new Date(t.ms + t.offset * 1000);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const day = d.getUTCDate();
  const hour = d.getUTCHours();
  const min = d.getUTCMinutes();
  const sec = d.getUTCSeconds();
  const nanos = d.getUTCMilliseconds() * 1_000_000 + t.nanos;
  const yday = Math.floor((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86400000) + 1;
  let out = "";
  let i = 0;
  while (i < layout.length) {
    // fractional seconds: .000 / .999 / ,000
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac && frac[1] !== undefined) {
      const n = frac[1].length;
      let digits = String(nanos).padStart(9, "0").slice(0, n);
      if (frac[1][0] === "9") {
        digits = digits.replace(/0+$/, "");
        if (digits !== "") out += layout[i] + digits;
      } else out += layout[i] + digits;
      i += frac[0].length;
      continue;
    }
    const tok = TOKENS.find((k) => layout.startsWith(k, i));
    if (tok === undefined) {
      out += layout[i];
      i++;
      continue;
    }
    // Go only treats "Jan"/"Mon" etc. as tokens where they are; "1" etc. always.
    switch (tok) {
      case "January": out += MONTHS[month]; break;
      case "Jan": out += (MONTHS[month] ?? "").slice(0, 3); break;
      case "Monday": out += DAYS[d.getUTCDay()]; break;
      case "Mon": out += (DAYS[d.getUTCDay()] ?? "").slice(0, 3); break;
      case "2006": out += String(year).padStart(4, "0"); break;
      case "06": out += p2(year % 100); break;
      case "01": out += p2(month + 1); break;
      case "1": out += String(month + 1); break;
      case "02": out += p2(day); break;
      case "_2": out += day < 10 ? " " + day : String(day); break;
      case "2": out += String(day); break;
      case "002": out += String(yday).padStart(3, "0"); break;
      case "__2": out += String(yday).padStart(3, " "); break;
      case "15": out += p2(hour); break;
      case "03": out += p2(hour % 12 === 0 ? 12 : hour % 12); break;
      case "3": out += String(hour % 12 === 0 ? 12 : hour % 12); break;
      case "04": out += p2(min); break;
      case "4": out += String(min); break;
      case "05": out += p2(sec); break;
      case "5": out += String(sec); break;
      case "PM": out += hour >= 12 ? "PM" : "AM"; break;
      case "pm": out += hour >= 12 ? "pm" : "am"; break;
      case "MST": out += t.zone; break;
      case "-0700": out += zoneOffset(t.offset, false, false, false); break;
      case "-07:00": out += zoneOffset(t.offset, true, false, false); break;
      case "-07:00:00": out += zoneOffset(t.offset, true, true, false); break;
      case "-07": out += zoneOffset(t.offset, false, false, false, true); break;
      case "Z0700": out += zoneOffset(t.offset, false, false, true); break;
      case "Z07:00": out += zoneOffset(t.offset, true, false, true); break;
      case "Z07:00:00": out += zoneOffset(t.offset, true, true, true); break;
      case "Z07": out += t.offset === 0 ? "Z" : zoneOffset(t.offset, false, false, false, true); break;
    }
    i += tok.length;
  }
  return out;
}

/** The time t seen in an IANA zone ("UTC", "Local" = UTC here, "Europe/Berlin", ...). */
export function inZone(t: GoTime, zone: string): GoTime {
  if (zone === "UTC" || zone === "Local" || zone === "") return new GoTime(t.ms, t.nanos, 0, "UTC");
  try {
    const fmt = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
    const part = fmt.formatToParts(new Date(t.ms)).find((p) => p.type === "timeZoneName")?.value ?? "GMT";
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part);
    const offset = m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
    const abbr = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" })
      .formatToParts(new Date(t.ms)).find((p) => p.type === "timeZoneName")?.value ?? "UTC";
    const zoneName = /^GMT[+-]/.test(abbr) ? zoneOffset(offset, false, false, false).replace(/00$/, "") : abbr;
    return new GoTime(t.ms, t.nanos, offset, zoneName);
  } catch {
    return new GoTime(t.ms, t.nanos, 0, "UTC");
  }
}

export function unixTime(seconds: number): GoTime {
  return new GoTime(seconds * 1000, 0, 0, "UTC");
}
