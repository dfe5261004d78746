// Go's net/url Parse and URL.String, enough for Sprig's urlParse and urlJoin. Works on bytes
// (latin1 strings) like Go.
import { bytesToGoString, goStringToBytes } from "./gostring.ts";
import { goQuote } from "./strconv.ts";

export class UrlError extends Error {}

type Mode = "path" | "pathSegment" | "host" | "zone" | "userPassword" | "queryComponent" | "fragment";

function shouldEscape(c: number, mode: Mode): boolean {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9]/.test(ch)) return false;
  if ((mode === "host" || mode === "zone") && "!$&'()*+,;=:[]<>\"".includes(ch)) return false;
  if ("-_.~".includes(ch)) return false;
  if ("$&+,/:;=?@".includes(ch)) {
    switch (mode) {
      case "path": return ch === "?";
      case "pathSegment": return "/;,?".includes(ch);
      case "userPassword": return "@/?:".includes(ch);
      case "queryComponent": return true;
      case "fragment": return false;
      default: break;
    }
  }
  if (mode === "fragment" && "!()*".includes(ch)) return false;
  return true;
}

function escape(s: string, mode: Mode): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (shouldEscape(c, mode)) {
      if (c === 0x20 && mode === "queryComponent") out += "+";
      else out += "%" + c.toString(16).toUpperCase().padStart(2, "0");
    } else out += s[i];
  }
  return out;
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

function unescape(s: string, mode: Mode): string {
  for (let i = 0; i < s.length;) {
    const ch = s[i];
    if (ch === "%") {
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) {
        throw new UrlError(`invalid URL escape ${goQuote(toGo(s.slice(i, i + 3)))}`);
      }
      const v = parseInt(s.slice(i + 1, i + 3), 16);
      if (mode === "host" && v >> 4 < 8 && s.slice(i, i + 3) !== "%25") throw new UrlError(`invalid URL escape ${goQuote(toGo(s.slice(i, i + 3)))}`);
      if (mode === "zone" && s.slice(i, i + 3) !== "%25" && v !== 0x20 && shouldEscape(v, "host")) throw new UrlError(`invalid URL escape ${goQuote(toGo(s.slice(i, i + 3)))}`);
      i += 3;
    } else {
      const c = s.charCodeAt(i);
      if ((mode === "host" || mode === "zone") && c < 0x80 && shouldEscape(c, mode)) throw new UrlError(`invalid character ${goQuote(toGo(s[i] ?? ""))} in host name`);
      i++;
    }
  }
  return s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/\+/g, mode === "queryComponent" ? " " : "+");
}

const toGo = (latin1: string): string => bytesToGoString(Buffer.from(latin1, "latin1"));
const toLatin1 = (s: string): string => Buffer.from(goStringToBytes(s)).toString("latin1");

export interface ParsedUrl {
  scheme: string;
  opaque: string;
  user: { username: string; password: string | undefined } | undefined;
  host: string;
  path: string;
  rawQuery: string;
  forceQuery: boolean;
  fragment: string;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

function parseHost(scheme: string, host: string): string {
  const open = host.lastIndexOf("[");
  if (open > 0) throw new UrlError("invalid IP-literal");
  if (open === 0) {
    const close = host.lastIndexOf("]");
    if (close < 0) throw new UrlError("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new UrlError(`invalid port ${goQuote(toGo(colonPort))} after host`);
    const hostname = host.slice(1, close);
    const zone = hostname.indexOf("%25");
    const unescaped = zone >= 0 ? unescape(hostname.slice(0, zone), "host") + unescape(hostname.slice(zone), "zone") : unescape(hostname, "host");
    const addr = unescaped.split("%")[0] ?? "";
    if (/^\d+\.\d+\.\d+\.\d+$/.test(addr)) throw new UrlError("invalid IP-literal");
    if (!/^[0-9a-fA-F:.]+$/.test(addr) || !addr.includes(":")) throw new UrlError(`invalid host: ParseAddr(${goQuote(toGo(unescaped))}): unable to parse IP`);
    return "[" + unescaped + "]" + colonPort;
  }
  const first = host.indexOf(":");
  if (first !== -1) {
    let i = first;
    const last = host.lastIndexOf(":");
    if (last !== first && scheme !== "http" && scheme !== "https") i = last;
    const colonPort = host.slice(i);
    if (!validOptionalPort(colonPort)) throw new UrlError(`invalid port ${goQuote(toGo(colonPort))} after host`);
  }
  return unescape(host, "host");
}

function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

/** url.Parse; throws UrlError worded like Go's *url.Error. */
export function parseUrl(rawUrl: string): ParsedUrl {
  const raw = toLatin1(rawUrl);
  const wrap = (e: unknown): never => {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UrlError(`parse ${goQuote(rawUrl)}: ${msg}`);
  };
  const hash = raw.indexOf("#");
  const main = hash < 0 ? raw : raw.slice(0, hash);
  const u: ParsedUrl = { scheme: "", opaque: "", user: undefined, host: "", path: "", rawQuery: "", forceQuery: false, fragment: "" };
  try {
    if (/[\x00-\x1f\x7f]/.test(main)) throw new UrlError("net/url: invalid control character in URL");
    if (main === "*") {
      u.path = "*";
    } else if (main !== "") {
      let rest = main;
      const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
      if (m) {
        u.scheme = (m[1] ?? "").toLowerCase();
        rest = rest.slice(m[0].length);
      } else if (rest.startsWith(":")) throw new UrlError("missing protocol scheme");
      if (rest.endsWith("?") && rest.split("?").length === 2) {
        u.forceQuery = true;
        rest = rest.slice(0, -1);
      } else {
        const q = rest.indexOf("?");
        if (q >= 0) {
          u.rawQuery = rest.slice(q + 1);
          rest = rest.slice(0, q);
        }
      }
      if (!rest.startsWith("/")) {
        if (u.scheme !== "") {
          u.opaque = rest;
          rest = "";
        } else {
          const seg = rest.split("/")[0] ?? "";
          if (seg.includes(":")) throw new UrlError("first path segment in URL cannot contain colon");
        }
      }
      if (u.opaque === "") {
        if ((u.scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
          let authority = rest.slice(2);
          const slash = authority.indexOf("/");
          rest = slash < 0 ? "" : authority.slice(slash);
          authority = slash < 0 ? authority : authority.slice(0, slash);
          const at = authority.lastIndexOf("@");
          u.host = parseHost(u.scheme, at < 0 ? authority : authority.slice(at + 1));
          if (at >= 0) {
            const userinfo = authority.slice(0, at);
            if (!validUserinfo(userinfo)) throw new UrlError("net/url: invalid userinfo");
            const colon = userinfo.indexOf(":");
            u.user = colon < 0
              ? { username: unescape(userinfo, "userPassword"), password: undefined }
              : { username: unescape(userinfo.slice(0, colon), "userPassword"), password: unescape(userinfo.slice(colon + 1), "userPassword") };
          }
        }
        u.path = unescape(rest, "pathSegment");
      }
    }
    if (hash >= 0) u.fragment = unescape(raw.slice(hash + 1), "fragment");
  } catch (e) {
    wrap(e);
  }
  return u;
}

function userString(user: NonNullable<ParsedUrl["user"]>): string {
  const name = escape(user.username, "userPassword");
  return user.password === undefined ? name : `${name}:${escape(user.password, "userPassword")}`;
}

/** url.URL.String(), from fields that are Go strings. */
export function urlString(u: ParsedUrl): string {
  const f = (s: string): string => toLatin1(s);
  let out = "";
  if (u.scheme !== "") out += f(u.scheme) + ":";
  if (u.opaque !== "") out += f(u.opaque);
  else {
    if (u.scheme !== "" || u.host !== "" || u.user !== undefined) {
      if (u.host !== "" || u.path !== "" || u.user !== undefined) out += "//";
      if (u.user !== undefined) out += userString({ username: f(u.user.username), password: u.user.password === undefined ? undefined : f(u.user.password) }) + "@";
      if (u.host !== "") out += escape(f(u.host), "host");
    }
    const path = escape(f(u.path), "path");
    if (path !== "" && path[0] !== "/" && u.host !== "") out += "/";
    if (out === "" && (path.split("/")[0] ?? "").includes(":")) out += "./";
    out += path;
  }
  if (u.forceQuery || u.rawQuery !== "") out += "?" + f(u.rawQuery);
  if (u.fragment !== "") out += "#" + escape(f(u.fragment), "fragment");
  return toGo(out);
}

/** The Go-string form of a parsed field. */
export const goField = toGo;
