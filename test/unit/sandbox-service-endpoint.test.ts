// The pure parts of the sandbox's service proxy endpoint: which /30 it takes, and the Pod, Service
// and Endpoints that kube-apiserver's proxy accepts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONTROLLER_SERVICE, fallbackLine, serviceEndpointObjects } from "../../src/sandbox/service-endpoint.ts";
import { choosePointToPointSubnet, ipv4ToNumber, NetworkNamespaceUnavailable, numberToIpv4, takenIpv4Prefixes, vethNames } from "../../src/sandbox/veth-namespace.ts";

// As printed on a machine with a veth of an earlier sandbox still up.
const IP_ADDR = [
  "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever",
  "4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever",
  "7: sbh0a1b2c3d    inet 198.18.0.1/30 scope global sbh0a1b2c3d\\       valid_lft forever preferred_lft forever",
].join("\n");
const IP_ROUTE = [
  "default via 192.0.2.1 dev eth0",
  "192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2",
  "198.19.128.0/17 via 192.0.2.1 dev eth0",
  "local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1",
  "broadcast 192.0.2.255 dev eth0 table local proto kernel scope link src 192.0.2.2",
].join("\n");

/** A random source that returns the given block indexes in turn. */
function picks(...blocks: number[]): (n: number) => number {
  let i = 0;
  return (n) => {
    const b = blocks[Math.min(i++, blocks.length - 1)] ?? 0;
    assert.ok(b < n, "a block index inside the range");
    return b;
  };
}

describe("sandbox veth subnet", () => {
  it("converts IPv4 addresses both ways and refuses non-addresses", () => {
    assert.equal(ipv4ToNumber("198.18.0.1"), 0xc6120001);
    assert.equal(numberToIpv4(0xc6120001), "198.18.0.1");
    assert.equal(numberToIpv4(ipv4ToNumber("255.255.255.255")), "255.255.255.255");
    assert.throws(() => ipv4ToNumber("300.1.1.1"));
    assert.throws(() => ipv4ToNumber("1.2.3"));
  });

  it("reads every address, prefix, gateway and source from ip's output, but not the default route", () => {
    const taken = takenIpv4Prefixes(IP_ADDR, IP_ROUTE).map((p) => `${numberToIpv4(p.address)}/${p.prefix}`);
    for (const expected of ["127.0.0.1/8", "192.0.2.2/24", "192.0.2.255/32", "198.18.0.1/30", "192.0.2.1/32", "198.19.128.0/17", "127.0.0.0/8"]) {
      assert.ok(taken.includes(expected), `${expected} in ${taken.join(" ")}`);
    }
    assert.ok(!taken.some((p) => p.endsWith("/0")));
  });

  it("takes a random free /30 in 198.18.0.0/15: host end .1, peer .2", () => {
    const s = choosePointToPointSubnet([], picks(5));
    assert.deepEqual(s, { cidr: "198.18.0.20/30", hostAddress: "198.18.0.21", peerAddress: "198.18.0.22" });
  });

  it("skips /30s that overlap an address or route already on the machine", () => {
    const taken = takenIpv4Prefixes(IP_ADDR, IP_ROUTE);
    // Block 0 holds an earlier sandbox's veth; the upper half of 198.19/16 is routed elsewhere.
    const upper = (ipv4ToNumber("198.19.200.0") - ipv4ToNumber("198.18.0.0")) / 4;
    const s = choosePointToPointSubnet(taken, picks(0, upper, 1));
    assert.equal(s.cidr, "198.18.0.4/30");
  });

  it("scans the whole range when random picks keep colliding, and says so when nothing is free", () => {
    const mostlyTaken = [{ address: ipv4ToNumber("198.18.0.0"), prefix: 16 }, { address: ipv4ToNumber("198.19.0.0"), prefix: 17 }, { address: ipv4ToNumber("198.19.128.0"), prefix: 18 }];
    const s = choosePointToPointSubnet(mostlyTaken, picks(0));
    assert.equal(s.cidr, "198.19.192.0/30");
    assert.throws(
      () => choosePointToPointSubnet([{ address: ipv4ToNumber("198.18.0.0"), prefix: 15 }], picks(0)),
      (err: unknown) => err instanceof NetworkNamespaceUnavailable && err.reason === "NoFreeSubnet",
    );
  });

  it("never picks an address the service proxy refuses (loopback, link-local, unspecified)", () => {
    for (let b = 0; b < 32768; b += 997) {
      const { hostAddress } = choosePointToPointSubnet([], () => b);
      const n = ipv4ToNumber(hostAddress);
      assert.ok(n >= ipv4ToNumber("198.18.0.1") && n <= ipv4ToNumber("198.19.255.254"), hostAddress);
    }
  });

  it("names both veth ends within the kernel's 15 characters", () => {
    const names = vethNames("0a1b2c3d");
    assert.deepEqual(names, { host: "sbh0a1b2c3d", peer: "sbp0a1b2c3d" });
    assert.ok(vethNames("0a1b2c3d4e5f").host.length <= 15);
    assert.throws(() => vethNames("not-hex"));
  });
});

describe("sandbox service proxy objects", () => {
  const objects = serviceEndpointObjects({ namespace: "kube-system", ip: "198.18.0.21", apiPort: 43210 });

  it("a selector-less Service whose first port is named http, 8080 → the controller's port", () => {
    assert.equal(objects.service.metadata?.name, CONTROLLER_SERVICE);
    assert.equal(objects.service.metadata?.namespace, "kube-system");
    const spec = objects.service["spec"] as { selector?: unknown; ports: { name: string; port: number; targetPort: number }[] };
    assert.equal(spec.selector, undefined, "no selector: the Endpoints are ours to write");
    assert.deepEqual(spec.ports[0], { name: "http", protocol: "TCP", port: 8080, targetPort: 43210 });
  });

  it("Endpoints of the Service's name: the address names the Pod, the port name matches the Service's", () => {
    assert.equal(objects.endpoints.metadata?.name, CONTROLLER_SERVICE);
    const subsets = objects.endpoints["subsets"] as { addresses: { ip: string; targetRef: { kind: string; name: string; namespace: string } }[]; ports: { name: string; port: number }[] }[];
    assert.equal(subsets.length, 1);
    const address = subsets[0]?.addresses[0];
    assert.equal(address?.ip, "198.18.0.21");
    assert.deepEqual(address?.targetRef, { kind: "Pod", name: objects.pod.metadata?.name, namespace: "kube-system" });
    assert.deepEqual(subsets[0]?.ports, [{ name: "http", protocol: "TCP", port: 43210 }]);
  });

  it("a Pod in the same namespace whose status.podIPs holds that address", () => {
    assert.equal(objects.pod.metadata?.namespace, "kube-system");
    assert.deepEqual(objects.podStatus["podIPs"], [{ ip: "198.18.0.21" }]);
    assert.equal(objects.podStatus["podIP"], "198.18.0.21");
    assert.equal((objects.pod["spec"] as { automountServiceAccountToken: boolean }).automountServiceAccountToken, false);
  });

  it("another controller name gives objects of that name", () => {
    const other = serviceEndpointObjects({ namespace: "ops", service: "sealer", ip: "198.18.0.5", apiPort: 1 });
    assert.equal(other.service.metadata?.name, "sealer");
    assert.equal(other.endpoints.metadata?.name, "sealer");
  });

  it("the fallback line names the reason and the --cert URL on loopback", () => {
    assert.equal(
      fallbackLine("unshare --net: Operation not permitted", 8080),
      "sealbridge: the API server's service proxy cannot reach this sandbox controller (unshare --net: Operation not permitted); use kubeseal --cert http://127.0.0.1:8080/v1/cert.pem",
    );
  });
});
