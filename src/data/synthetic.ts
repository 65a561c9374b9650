/**
 * A synthetic network connection log for demos and tests: SYNTHETIC, not captured traffic.
 *
 * 60 internal hosts (10.20.0.0/24) talk to web, DNS, mail, SSH and file-share services with
 * a working-day rhythm and heavy-tailed byte counts. A few labelled attack behaviours are
 * injected (column `attack`, "-" for normal rows):
 * - `exfiltration`: tens to hundreds of MB out to one external host on 443, at night;
 * - `port-scan`: one host probing many closed ports (1–2 packets, nothing back);
 * - `beacon`: a host calling 4444/tcp at a fixed interval with fixed sizes;
 * - `ssh-bruteforce`: bursts of short, small SSH sessions from one external address.
 * Same seed, same file.
 */
import { Random } from "../core/random.js";

export interface ConnectionRow {
  ts: string;
  src_ip: string;
  dst_ip: string;
  dst_port: number;
  proto: string;
  duration_s: number;
  bytes_out: number;
  bytes_in: number;
  packets: number;
  hour: number;
  attack: string;
}

const SERVICES = [
  {
    port: 443,
    proto: "tcp",
    weight: 0.55,
    out: [7.5, 1.0],
    ratio: 8,
    dur: [1.5, 1.0],
    dst: "external",
  },
  {
    port: 80,
    proto: "tcp",
    weight: 0.1,
    out: [7.0, 0.8],
    ratio: 6,
    dur: [0.8, 0.8],
    dst: "external",
  },
  { port: 53, proto: "udp", weight: 0.2, out: [4.2, 0.3], ratio: 2, dur: [-3.5, 0.5], dst: "dns" },
  {
    port: 25,
    proto: "tcp",
    weight: 0.04,
    out: [9.0, 1.2],
    ratio: 0.1,
    dur: [0.5, 0.6],
    dst: "mail",
  },
  {
    port: 445,
    proto: "tcp",
    weight: 0.08,
    out: [8.0, 1.5],
    ratio: 3,
    dur: [1.0, 1.0],
    dst: "files",
  },
  {
    port: 22,
    proto: "tcp",
    weight: 0.03,
    out: [8.5, 1.0],
    ratio: 1.5,
    dur: [3.0, 1.0],
    dst: "servers",
  },
] as const;

export function generateConnections(rows: number, seed: number): ConnectionRow[] {
  const rng = new Random(seed);
  const out: ConnectionRow[] = [];
  const start = Date.UTC(2026, 9, 5); // Monday 5 October 2026
  const hosts = Array.from({ length: 60 }, (_, i) => `10.20.0.${i + 10}`);
  const external = Array.from(
    { length: 40 },
    () => `${rng.int(200) + 20}.${rng.int(256)}.${rng.int(256)}.${rng.int(254) + 1}`,
  );
  const dstFor = (kind: string): string =>
    kind === "external"
      ? external[rng.int(external.length)]
      : kind === "dns"
        ? "10.20.1.53"
        : kind === "mail"
          ? "10.20.1.25"
          : kind === "files"
            ? `10.20.2.${rng.int(3) + 10}`
            : `10.20.3.${rng.int(8) + 10}`;
  const lognormal = (mu: number, sigma: number): number => Math.exp(mu + sigma * rng.normal());
  const push = (t: number, r: Omit<ConnectionRow, "ts" | "hour">): void => {
    const d = new Date(t);
    out.push({ ts: d.toISOString().replace(/\.\d+Z$/, "Z"), hour: d.getUTCHours(), ...r });
  };
  const attackShare = 0.006;
  const normalRows = Math.round(rows * (1 - attackShare));
  for (let k = 0; k < normalRows; k++) {
    // Working-day rhythm: most traffic 08:00–18:00 over five days.
    const day = rng.int(5);
    const hour = rng.float() < 0.85 ? 8 + rng.int(10) : rng.int(24);
    const t = start + ((day * 24 + hour) * 3600 + rng.int(3600)) * 1000;
    let u = rng.float();
    const svc = SERVICES.find((s) => (u -= s.weight) < 0) ?? SERVICES[0];
    const bytesOut = Math.round(lognormal(svc.out[0], svc.out[1]));
    const bytesIn = Math.round(bytesOut * svc.ratio * lognormal(0, 0.5));
    push(t, {
      src_ip: hosts[rng.int(hosts.length)],
      dst_ip: dstFor(svc.dst),
      dst_port: svc.port,
      proto: svc.proto,
      duration_s: round3(lognormal(svc.dur[0], svc.dur[1])),
      bytes_out: bytesOut,
      bytes_in: bytesIn,
      packets: Math.max(1, Math.round((bytesOut + bytesIn) / 1100 + rng.int(4))),
      attack: "-",
    });
  }
  const attacks = rows - normalRows;
  const victim = hosts[7];
  const scanner = hosts[23];
  const beaconer = hosts[41];
  const c2 = "185.220.101.7";
  for (let k = 0; k < attacks; k++) {
    const kind = k % 4;
    const base = start + (2 * 24 + 2) * 3600 * 1000; // Wednesday 02:00
    if (kind === 0) {
      const bytesOut = Math.round(lognormal(18.5, 0.5));
      push(base + k * 97_000, {
        src_ip: victim,
        dst_ip: "203.0.113.77",
        dst_port: 443,
        proto: "tcp",
        duration_s: round3(lognormal(6, 0.3)),
        bytes_out: bytesOut,
        bytes_in: Math.round(bytesOut / 900),
        packets: Math.round(bytesOut / 1400),
        attack: "exfiltration",
      });
    } else if (kind === 1) {
      push(base + 3600_000 * 9 + k * 1000, {
        src_ip: scanner,
        dst_ip: `10.20.3.${rng.int(8) + 10}`,
        dst_port: 1000 + rng.int(9000),
        proto: "tcp",
        duration_s: 0.001,
        bytes_out: 60,
        bytes_in: 0,
        packets: 1 + rng.int(2),
        attack: "port-scan",
      });
    } else if (kind === 2) {
      push(base + k * 600_000, {
        src_ip: beaconer,
        dst_ip: c2,
        dst_port: 4444,
        proto: "tcp",
        duration_s: 0.25,
        bytes_out: 312,
        bytes_in: 1024,
        packets: 6,
        attack: "beacon",
      });
    } else {
      push(base + 3600_000 * 20 + k * 3000, {
        src_ip: "45.155.205.233",
        dst_ip: "10.20.3.12",
        dst_port: 22,
        proto: "tcp",
        duration_s: round3(0.3 + rng.float() * 0.2),
        bytes_out: 1800 + rng.int(200),
        bytes_in: 2400 + rng.int(200),
        packets: 14 + rng.int(4),
        attack: "ssh-bruteforce",
      });
    }
  }
  out.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return out;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export function connectionsToCsv(rows: readonly ConnectionRow[]): string {
  const header =
    "ts,src_ip,dst_ip,dst_port,proto,duration_s,bytes_out,bytes_in,packets,hour,attack";
  const body = rows.map(
    (r) =>
      `${r.ts},${r.src_ip},${r.dst_ip},${r.dst_port},${r.proto},${r.duration_s},${r.bytes_out},${r.bytes_in},${r.packets},${r.hour},${r.attack}`,
  );
  return [header, ...body].join("\n") + "\n";
}
