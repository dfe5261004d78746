// Requests to the API server over one HTTP/2 connection, as client-go talks to it: every request is
// a stream on one TLS session, so requests issued together leave in one write and their answers
// arrive in one read (one TCP connection instead of one per request in flight). Measured against the
// sandbox's kube-apiserver (2,000 POSTs, 8 in flight, one process): 0.68–0.98 ms of CPU per request
// against 0.94–1.22 ms over HTTP/1.1 with a keep-alive agent.
//
// Watches stay on HTTP/1.1, a connection each (HttpKube): multiplexed on the session, a watch fed a
// burst (thousands of objects created at once) fell behind the writes sharing its connection and
// the API server ended it after ~2,000 events, where one on its own connection kept up.
//
// The TLS handshake offers h2 and http/1.1 (ALPN); a server that answers http/1.1 gets HTTP/1.1
// from then on (see HttpKube). A session that stops answering (a request timed out and a PING
// gets no answer) is dropped, and the next request opens a new one; a GOAWAY or a closed
// connection does the same. The session holds the process open only while a request is in flight.
import { connect as http2Connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";
import { isIP } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import type { Readable } from "node:stream";
import type { TlsMaterial } from "./connection.ts";

/** An answer: the status and the body, read as a stream (a watch reads it for its whole life). */
export interface Http2Answer {
  statusCode: number;
  body: Readable;
}

/** Bytes the server may send on one stream before the client must read them (list pages). */
const STREAM_WINDOW = 1 << 20;
/** Bytes the server may send on the connection as a whole before the client must read them. */
const SESSION_WINDOW = 8 << 20;
/** How long a session that let a request time out has to answer a PING before it is dropped. */
const PING_TIMEOUT_MS = 5_000;

export class Http2Client {
  private readonly host: string;
  private readonly port: number;
  private readonly tls: TlsMaterial;
  private session: ClientHttp2Session | undefined;
  private opening: Promise<ClientHttp2Session | "http/1.1"> | undefined;
  /** Streams open on each session; a session is ref'd while it has any. */
  private readonly active = new WeakMap<ClientHttp2Session, number>();
  private closed = false;

  /** Bound on the TCP connect and TLS handshake of a new session (ms). */
  private readonly connectTimeoutMs: number;

  constructor(server: string, tls: TlsMaterial, connectTimeoutMs = 30_000) {
    this.connectTimeoutMs = connectTimeoutMs;
    const url = new URL(server);
    this.host = url.hostname.replace(/^\[|\]$/g, "");
    this.port = Number(url.port || 443);
    this.tls = tls;
  }

  /**
   * Sends one request on `session`, synchronously up to the request leaving. As its answer's
   * headers arrive, `read` is called with the status and the body, so the body's reader is attached
   * in the same turn; resolves with what `read` returns, and rejects with what `read` throws as it
   * is. A failure to send or to get an answer is rejected as `failed(err)` makes it. A session that
   * closed since it was handed out (a GOAWAY, a dropped connection) is forgotten, and the request
   * fails (its caller retries).
   */
  request<T>(session: ClientHttp2Session, headers: OutgoingHttpHeaders, payload: Buffer | undefined, signal: AbortSignal, read: (answer: Http2Answer) => Promise<T>, failed: (err: unknown) => Error): Promise<T> {
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: payload === undefined, signal });
    } catch (err) {
      this.drop(session);
      return Promise.reject(failed(err));
    }
    this.track(session, stream);
    return new Promise<T>((resolve, reject) => {
      stream.once("response", (answer: IncomingHttpHeaders) => resolve(read({ statusCode: Number(answer[constants.HTTP2_HEADER_STATUS] ?? 0), body: stream })));
      stream.once("error", (err: Error) => {
        if (signal.aborted) this.check(session);
        reject(failed(err));
      });
      if (payload !== undefined) stream.end(payload);
    });
  }

  close(): void {
    this.closed = true;
    this.session?.destroy();
    this.session = undefined;
  }

  private track(session: ClientHttp2Session, stream: ClientHttp2Stream): void {
    const open = this.active.get(session) ?? 0;
    this.active.set(session, open + 1);
    if (open === 0) session.ref();
    stream.once("close", () => {
      const left = (this.active.get(session) ?? 1) - 1;
      this.active.set(session, left);
      if (left === 0 && !session.destroyed) session.unref();
    });
  }

  /** A request timed out: a session that does not answer a PING either is dropped. */
  private check(session: ClientHttp2Session): void {
    if (session.destroyed || session.closed) return;
    const timer = setTimeout(() => this.drop(session), PING_TIMEOUT_MS);
    timer.unref();
    const sent = session.ping((err) => {
      clearTimeout(timer);
      if (err) this.drop(session);
    });
    if (!sent) {
      clearTimeout(timer);
      this.drop(session);
    }
  }

  private drop(session: ClientHttp2Session): void {
    if (this.session === session) this.session = undefined;
    session.destroy();
  }

  /**
   * The session to send on (opened when there is none), or "http/1.1" when the server does not speak
   * HTTP/2. Taken before a write passes the leader gate, so that nothing is awaited between the gate
   * and the request leaving (see HttpKubeOptions.mayWrite).
   */
  async take(signal: AbortSignal): Promise<ClientHttp2Session | "http/1.1"> {
    if (this.closed) throw new Error("connection closed");
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    const opening = this.opening;
    if (signal.aborted) throw abortError(signal);
    return await new Promise((resolve, reject) => {
      const abort = () => reject(abortError(signal));
      signal.addEventListener("abort", abort, { once: true });
      opening.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
    });
  }

  private async open(): Promise<ClientHttp2Session | "http/1.1"> {
    const { servername, ...material } = this.tls;
    const socket: TLSSocket = tlsConnect({
      host: this.host,
      port: this.port,
      ...material,
      ...(servername ? { servername } : isIP(this.host) ? {} : { servername: this.host }),
      ALPNProtocols: ["h2", "http/1.1"],
    });
    await new Promise<void>((resolve, reject) => {
      // A server that accepts the connection but never finishes the handshake must not hold every
      // later request: the attempt ends after the timeout and the next request tries again.
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`no TLS handshake within ${this.connectTimeoutMs} ms`), { code: "ETIMEDOUT" })), this.connectTimeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once("error", fail);
      socket.once("secureConnect", () => {
        clearTimeout(timer);
        socket.off("error", fail);
        resolve();
      });
    });
    if (socket.alpnProtocol !== "h2") {
      socket.destroy();
      return "http/1.1";
    }
    const authority = `https://${isIP(this.host) === 6 ? `[${this.host}]` : this.host}:${this.port}`;
    const session = http2Connect(authority, { createConnection: () => socket, settings: { initialWindowSize: STREAM_WINDOW, enablePush: false }, maxSessionMemory: 64 });
    session.once("connect", () => session.setLocalWindowSize(SESSION_WINDOW));
    // Errors end the session; the streams on it fail with their own errors (their callers retry).
    session.on("error", () => undefined);
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.once("close", forget);
    // After a GOAWAY the session takes no new streams: the next request opens another one.
    session.once("goaway", forget);
    session.unref();
    if (this.closed) {
      session.destroy();
      throw new Error("connection closed");
    }
    this.session = session;
    return session;
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("aborted");
}
