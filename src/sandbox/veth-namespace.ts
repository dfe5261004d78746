// A network namespace of our own with a veth pair into it: the host end carries an address from a
// private /30 that the API server's service proxy accepts (neither loopback nor link-local), so the
// sandbox can give its controller a "Pod IP" without sending traffic anywhere but to itself.
//
// The namespace is held by a child process (`unshare --net sleep infinity`) rather than pinned under
// /run/netns by `ip netns add`: the kernel frees it, and with it both veth ends, as soon as that child
// dies, and the child dies with us (setpriv --pdeathsig), so not even a SIGKILLed sandbox leaks one.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { existsSync } from "node:fs";
import { readlink } from "node:fs/promises";

/** 198.18.0.0/15 is reserved for benchmarking (RFC 2544): never routed, rarely configured. */
export const SUBNET_RANGE = { base: ipv4ToNumber("198.18.0.0"), prefix: 15 } as const;
const BLOCK_SIZE = 4; // a /30: network, host end, peer end, broadcast

export interface Ipv4Prefix {
  /** The address as an unsigned 32-bit number. */
  address: number;
  prefix: number;
}

export interface PointToPointSubnet {
  /** e.g. "198.18.4.8/30" */
  cidr: string;
  hostAddress: string;
  peerAddress: string;
}

export type NetworkUnavailableReason = "NoIpCommand" | "NoUtilLinux" | "NotPermitted" | "NoFreeSubnet" | "CommandFailed";

/** The namespace or the veth pair could not be made here (not root, no iproute2, no free subnet). */
export class NetworkNamespaceUnavailable extends Error {
  override readonly name = "NetworkNamespaceUnavailable";
  readonly reason: NetworkUnavailableReason;

  constructor(reason: NetworkUnavailableReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export function ipv4ToNumber(text: string): number {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${text}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * Every IPv4 address or prefix named in `ip -o -4 addr show` and `ip -4 route show table all` output.
 * Gateways and source addresses count too: overlapping any of them is a collision worth avoiding.
 * A default route (/0) names no subnet in particular and is left out.
 */
export function takenIpv4Prefixes(...outputs: string[]): Ipv4Prefix[] {
  const taken: Ipv4Prefix[] = [];
  for (const text of outputs) {
    for (const m of text.matchAll(/(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?(?![\d.])/g)) {
      const prefix = m[2] === undefined ? 32 : Number(m[2]);
      if (prefix < 1 || prefix > 32) continue;
      try {
        taken.push({ address: ipv4ToNumber(m[1] ?? ""), prefix });
      } catch {
        // not an address after all (e.g. 300.1.1.1)
      }
    }
  }
  return taken;
}

function rangeOf(p: Ipv4Prefix): [number, number] {
  const size = 2 ** (32 - p.prefix);
  const start = Math.floor(p.address / size) * size;
  return [start, start + size];
}

function overlaps(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  const [a0, a1] = rangeOf(a);
  const [b0, b1] = rangeOf(b);
  return a0 < b1 && b0 < a1;
}

/**
 * A /30 inside SUBNET_RANGE that overlaps nothing in `taken`, picked at random (`randomBlock(n)`
 * returns an integer in [0, n)) so that sandboxes started at the same moment rarely pick the same one.
 */
export function choosePointToPointSubnet(taken: readonly Ipv4Prefix[], randomBlock: (n: number) => number = randomInt): PointToPointSubnet {
  const blocks = 2 ** (32 - SUBNET_RANGE.prefix) / BLOCK_SIZE;
  const free = (start: number) => !taken.some((t) => overlaps(t, { address: start, prefix: 30 }));
  // Random probes first; a full scan only when the range is nearly used up.
  let start: number | undefined;
  for (let i = 0; i < 64 && start === undefined; i++) {
    const candidate = SUBNET_RANGE.base + randomBlock(blocks) * BLOCK_SIZE;
    if (free(candidate)) start = candidate;
  }
  for (let b = 0; b < blocks && start === undefined; b++) {
    const candidate = SUBNET_RANGE.base + b * BLOCK_SIZE;
    if (free(candidate)) start = candidate;
  }
  if (start === undefined) throw new NetworkNamespaceUnavailable("NoFreeSubnet", `no free /30 in ${numberToIpv4(SUBNET_RANGE.base)}/${SUBNET_RANGE.prefix}`);
  return { cidr: `${numberToIpv4(start)}/30`, hostAddress: numberToIpv4(start + 1), peerAddress: numberToIpv4(start + 2) };
}

/** Interface names for one pair (at most 15 characters, the kernel's limit). */
export function vethNames(id: string): { host: string; peer: string } {
  if (!/^[0-9a-f]{1,12}$/.test(id)) throw new Error(`veth id must be 1-12 hex digits: ${id}`);
  return { host: `sbh${id}`, peer: `sbp${id}` };
}

export interface VethNamespace {
  /** The host end's address: what the API server connects to. */
  readonly hostAddress: string;
  readonly peerAddress: string;
  readonly cidr: string;
  /** The host end's interface name. */
  readonly hostInterface: string;
  /** The process holding the namespace (it ends when this process does). */
  readonly holderPid: number;
  /** Deletes the veth pair and the namespace. Safe to call more than once. */
  remove(): Promise<void>;
}

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => existsSync(path));
const COMMAND_TIMEOUT_MS = 10_000;

interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all. */
  spawnError?: NodeJS.ErrnoException;
}

function runCommand(file: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: COMMAND_TIMEOUT_MS, encoding: "utf8" }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && typeof e.code === "string") resolve({ code: null, stdout, stderr, spawnError: e });
      else resolve({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, stdout, stderr });
    });
  });
}

function unavailableFrom(what: string, r: CommandResult): NetworkNamespaceUnavailable {
  if (r.spawnError?.code === "ENOENT") {
    return what.startsWith("ip ")
      ? new NetworkNamespaceUnavailable("NoIpCommand", "the ip command (iproute2) is not installed")
      : new NetworkNamespaceUnavailable("NoUtilLinux", `${what.split(" ")[0] ?? what} (util-linux) is not installed`);
  }
  const detail = (r.stderr || r.spawnError?.message || `exit code ${r.code}`).trim().split("\n")[0] ?? "";
  if (/not permitted|permission denied/i.test(detail)) return new NetworkNamespaceUnavailable("NotPermitted", `${what}: ${detail} (needs root)`);
  return new NetworkNamespaceUnavailable("CommandFailed", `${what}: ${detail}`);
}

async function must(file: string, args: readonly string[]): Promise<string> {
  const r = await runCommand(file, args);
  if (r.code !== 0) throw unavailableFrom(`${file} ${args.join(" ")}`, r);
  return r.stdout;
}

/** Starts the holder and waits until it sits in a namespace other than ours. */
async function startHolder(): Promise<{ child: ChildProcess; pid: number; exited: Promise<void> }> {
  const argv = ["unshare", "--net", "--", "sleep", "infinity"];
  const [command, args] = SETPRIV ? [SETPRIV, ["--pdeathsig", "SIGKILL", "--", ...argv]] : ["unshare", argv.slice(1)];
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  let done: { code: number | null; error?: NodeJS.ErrnoException } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code) => {
      done ??= { code };
      resolve();
    });
    child.once("error", (error: NodeJS.ErrnoException) => {
      done = { code: null, error };
      resolve();
    });
  });
  const ours = await readlink("/proc/self/ns/net");
  const deadline = Date.now() + COMMAND_TIMEOUT_MS;
  for (;;) {
    if (done) {
      throw unavailableFrom("unshare --net", { code: done.code, stdout: "", stderr, ...(done.error ? { spawnError: done.error } : {}) });
    }
    // Until unshare has run, the child is still in our namespace: a veth moved there now would stay here.
    const theirs = child.pid === undefined ? ours : await readlink(`/proc/${child.pid}/ns/net`).catch(() => ours);
    if (theirs !== ours && child.pid !== undefined) return { child, pid: child.pid, exited };
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new NetworkNamespaceUnavailable("CommandFailed", "unshare --net did not enter a new network namespace in time");
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Last resort when the process exits without remove(): kill the holders, the kernel does the rest.
const liveHolders = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of liveHolders) child.kill("SIGKILL");
});

/**
 * Creates a network namespace and a veth pair into it, both ends up, the host end with the first
 * address of a free /30 in 198.18.0.0/15 and the peer (inside the namespace) with the second.
 * Throws NetworkNamespaceUnavailable when this machine does not allow it.
 */
export async function createVethNamespace(): Promise<VethNamespace> {
  // Fail early and clearly when iproute2 is missing, before starting anything.
  const probe = await runCommand("ip", ["-V"]);
  if (probe.spawnError) throw unavailableFrom("ip -V", probe);
  if (!existsSync("/proc/self/ns/net")) throw new NetworkNamespaceUnavailable("CommandFailed", "this system has no network namespaces (/proc/self/ns/net)");
  const holder = await startHolder();
  liveHolders.add(holder.child);
  const names = vethNames(randomBytes(4).toString("hex"));
  let linkCreated = false;
  let removing: Promise<void> | undefined;
  const remove = () => {
    removing ??= (async () => {
      // Deleting one end deletes the pair; the namespace goes when its holder does.
      if (linkCreated) await runCommand("ip", ["link", "del", "dev", names.host]);
      holder.child.kill("SIGKILL");
      await holder.exited;
      liveHolders.delete(holder.child);
      // The kernel frees a namespace (and a pair it still holds) asynchronously: resolve once it has.
      const deadline = Date.now() + 5000;
      while (linkCreated && Date.now() < deadline && (await runCommand("ip", ["link", "show", "dev", names.host])).code === 0) {
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    return removing;
  };
  try {
    const taken = takenIpv4Prefixes(await must("ip", ["-o", "-4", "addr", "show"]), await must("ip", ["-4", "route", "show", "table", "all"]));
    const subnet = choosePointToPointSubnet(taken);
    const inside = (args: string[]) => must("nsenter", [`--net=/proc/${holder.pid}/ns/net`, "--", "ip", ...args]);
    await must("ip", ["link", "add", "dev", names.host, "type", "veth", "peer", "name", names.peer, "netns", String(holder.pid)]);
    linkCreated = true;
    // No IPv6 link-local addresses: nothing (router or neighbour solicitations) goes over the pair
    // unasked. Best effort: it fails only where IPv6 is off, which has the same effect.
    await runCommand("ip", ["link", "set", "dev", names.host, "addrgenmode", "none"]);
    await runCommand("nsenter", [`--net=/proc/${holder.pid}/ns/net`, "--", "ip", "link", "set", "dev", names.peer, "addrgenmode", "none"]);
    await must("ip", ["addr", "add", `${subnet.hostAddress}/30`, "dev", names.host]);
    await inside(["addr", "add", `${subnet.peerAddress}/30`, "dev", names.peer]);
    await inside(["link", "set", "dev", names.peer, "up"]);
    await must("ip", ["link", "set", "dev", names.host, "up"]);
    return { hostAddress: subnet.hostAddress, peerAddress: subnet.peerAddress, cidr: subnet.cidr, hostInterface: names.host, holderPid: holder.pid, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
