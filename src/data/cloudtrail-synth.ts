/**
 * A synthetic CloudTrail log for demos, tests and scale benchmarks: SYNTHETIC, not captured from
 * any AWS account. It imitates the management events of a small organisation (account
 * 111122223333): twelve IAM users working office hours from an office NAT and home addresses
 * with console, CLI and SDK user agents; four automation roles calling around the clock; AWS
 * services assuming roles. Records carry CloudTrail's nested shape (userIdentity with
 * sessionContext, requestParameters, responseElements, tlsDetails), in time order.
 *
 * Injected attacks, labelled in two extra top-level fields, `label` (1 attack, 0 normal) and
 * `attack` (scenario name, null when normal), one of each scenario per ~25,000 records:
 * - `credential-use-new-asn`: a user's access key used from a VPS address never seen before,
 *   with a Python SDK user agent, calling GetCallerIdentity and listing buckets;
 * - `discovery-burst`: one principal issuing 40–80 Describe/List/Get calls across services
 *   within two minutes (some AccessDenied);
 * - `trail-deletion`: StopLogging then DeleteTrail from a new address;
 * - `snapshot-exfiltration`: CreateSnapshot, then ModifySnapshotAttribute sharing it with an
 *   unknown account;
 * - `secrets-harvest`: a role reading many secrets (GetSecretValue) in a minute;
 * - `console-login-no-mfa`: a console sign-in without MFA from a foreign address;
 * - `iam-persistence`: CreateUser, CreateAccessKey, AttachUserPolicy(AdministratorAccess).
 * Addresses are from documentation ranges (RFC 5737) for the organisation and arbitrary public
 * ranges for attackers. Same seed, same records.
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Transform, Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { Random } from "../core/random.js";

const ACCOUNT = "111122223333";
const START = Date.UTC(2026, 8, 7, 0, 0, 0); // a Monday

interface Actor {
  readonly kind: "user" | "role" | "service";
  readonly name: string;
  readonly identity: Record<string, unknown>;
  readonly ips: readonly string[];
  readonly agents: readonly string[];
  /** Relative activity per hour of day (UTC) and for weekends. */
  readonly hourly: readonly number[];
  readonly weekend: number;
  readonly events: readonly (readonly [source: string, name: string, weight: number])[];
}

const OFFICE_HOURS = Array.from({ length: 24 }, (_, h) =>
  h >= 8 && h < 18 ? (h === 12 ? 0.6 : 1) : h >= 6 && h < 21 ? 0.15 : 0.01,
);
const ALWAYS = Array.from({ length: 24 }, () => 1);

const AGENTS = {
  console: "console.amazonaws.com",
  ec2console: "console.ec2.amazonaws.com",
  cli: "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/",
  cliMac: "aws-cli/2.13.2 Python/3.11.4 Darwin/23.1.0 exe/x86_64 prompt/off command/",
  boto: "Boto3/1.34.10 md/Botocore#1.34.10 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.1",
  terraform:
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.40.0",
  lambda: "aws-sdk-nodejs/3.540.0 linux/v20.11.1 exec-env/AWS_Lambda_nodejs20.x",
};

const HUMAN_EVENTS: Actor["events"] = [
  ["ec2.amazonaws.com", "DescribeInstances", 12],
  ["ec2.amazonaws.com", "DescribeVolumes", 5],
  ["ec2.amazonaws.com", "DescribeSecurityGroups", 4],
  ["s3.amazonaws.com", "ListBuckets", 6],
  ["s3.amazonaws.com", "GetBucketLocation", 3],
  ["s3.amazonaws.com", "GetObject", 8],
  ["s3.amazonaws.com", "PutObject", 3],
  ["iam.amazonaws.com", "ListRoles", 1],
  ["iam.amazonaws.com", "GetUser", 1],
  ["sts.amazonaws.com", "GetCallerIdentity", 3],
  ["cloudwatch.amazonaws.com", "GetMetricData", 6],
  ["logs.amazonaws.com", "FilterLogEvents", 4],
  ["lambda.amazonaws.com", "ListFunctions20150331", 2],
  ["rds.amazonaws.com", "DescribeDBInstances", 2],
  ["kms.amazonaws.com", "Decrypt", 2],
  ["signin.amazonaws.com", "ConsoleLogin", 0.5],
];

const AUTOMATION_EVENTS: Actor["events"] = [
  ["s3.amazonaws.com", "GetObject", 10],
  ["s3.amazonaws.com", "PutObject", 8],
  ["kms.amazonaws.com", "Decrypt", 6],
  ["kms.amazonaws.com", "GenerateDataKey", 4],
  ["sts.amazonaws.com", "AssumeRole", 3],
  ["secretsmanager.amazonaws.com", "GetSecretValue", 1],
  ["logs.amazonaws.com", "CreateLogStream", 2],
  ["logs.amazonaws.com", "PutLogEvents", 6],
  ["dynamodb.amazonaws.com", "DescribeTable", 2],
];

function userActor(name: string, k: number): Actor {
  const home = `198.51.100.${20 + k}`;
  return {
    kind: "user",
    name,
    identity: {
      type: "IAMUser",
      principalId: `AIDA${(k * 7919 + 104729).toString(36).toUpperCase().padStart(17, "X")}`,
      arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
      accountId: ACCOUNT,
      accessKeyId: `AKIA${(k * 15485863 + 32452843).toString(36).toUpperCase().padStart(16, "Q")}`,
      userName: name,
    },
    ips: ["203.0.113.10", "203.0.113.10", "203.0.113.11", home],
    agents:
      k % 3 === 0
        ? [AGENTS.console, AGENTS.ec2console, AGENTS.cli]
        : k % 3 === 1
          ? [AGENTS.cliMac, AGENTS.cliMac, AGENTS.console]
          : [AGENTS.boto, AGENTS.console, AGENTS.terraform],
    hourly: OFFICE_HOURS.map((w, h) => (k % 4 === 0 ? OFFICE_HOURS[(h + 23) % 24] : w)),
    weekend: 0.05,
    events: HUMAN_EVENTS,
  };
}

function roleActor(role: string, session: string, ip: string, agent: string): Actor {
  return {
    kind: "role",
    name: role,
    identity: {
      type: "AssumedRole",
      principalId: `AROA${role.length}EXAMPLE${role.toUpperCase().slice(0, 6)}:${session}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
      accountId: ACCOUNT,
      accessKeyId: `ASIA${role
        .toUpperCase()
        .replace(/[^A-Z]/g, "")
        .padEnd(16, "Z")
        .slice(0, 16)}`,
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: `AROA${role.length}EXAMPLE${role.toUpperCase().slice(0, 6)}`,
          arn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
          accountId: ACCOUNT,
          userName: role,
        },
        attributes: { creationDate: "2026-09-07T00:00:00Z", mfaAuthenticated: "false" },
      },
    },
    ips: [ip],
    agents: [agent],
    hourly: ALWAYS,
    weekend: 1,
    events: AUTOMATION_EVENTS,
  };
}

const USERS = [
  "alice",
  "bruno",
  "chen",
  "dara",
  "emeka",
  "fatima",
  "gustav",
  "hana",
  "ivan",
  "jo",
  "kai",
  "lena",
].map(userActor);

const ROLES = [
  roleActor("etl-pipeline", "i-0a1b2c3d4e5f60718", "54.210.33.17", AGENTS.boto),
  roleActor("backup-runner", "backup-runner", "lambda.amazonaws.com", AGENTS.lambda),
  roleActor("report-builder", "report-builder", "lambda.amazonaws.com", AGENTS.lambda),
  roleActor("ci-deploy", "gha-run", "52.4.19.200", AGENTS.terraform),
];

const SERVICE: Actor = {
  kind: "service",
  name: "config.amazonaws.com",
  identity: { type: "AWSService", invokedBy: "config.amazonaws.com" },
  ips: ["config.amazonaws.com"],
  agents: ["config.amazonaws.com"],
  hourly: ALWAYS,
  weekend: 1,
  events: [["sts.amazonaws.com", "AssumeRole", 1]],
};

const ACTORS: readonly Actor[] = [...USERS, ...ROLES, SERVICE];
/** Mean events per minute of each actor at full activity. */
const RATE: Record<Actor["kind"], number> = { user: 0.9, role: 2.2, service: 0.4 };

export const ATTACKS = [
  "credential-use-new-asn",
  "discovery-burst",
  "trail-deletion",
  "snapshot-exfiltration",
  "secrets-harvest",
  "console-login-no-mfa",
  "iam-persistence",
] as const;
type Attack = (typeof ATTACKS)[number];

/** Records between the starts of two attack instances, on average. */
const RECORDS_PER_ATTACK = 25_000 / ATTACKS.length;

interface Draft {
  actor: Actor;
  source: string;
  name: string;
  ip: string;
  agent: string;
  attack: Attack | null;
  error?: string;
  request?: Record<string, unknown> | null;
  response?: Record<string, unknown> | null;
}

class CloudTrailStory {
  private readonly rng: Random;
  private readonly pending: { time: number; draft: Draft }[] = [];
  private hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[this.rng.int(16)];
    return s;
  }
  private uuid(): string {
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${"89ab"[this.rng.int(4)]}${this.hex(3)}-${this.hex(12)}`;
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.rng.int(xs.length)];
  }

  constructor(seed: number) {
    this.rng = new Random(seed);
  }

  private request(source: string, name: string): Record<string, unknown> | null {
    switch (name) {
      case "GetObject":
      case "PutObject":
        return {
          bucketName: this.pick(["acme-data-lake", "acme-reports", "acme-backups"]),
          key: `${this.pick(["raw", "curated", "exports"])}/${this.hex(6)}.parquet`,
        };
      case "DescribeInstances":
        return { instancesSet: {}, filterSet: {} };
      case "Decrypt":
      case "GenerateDataKey":
        return { encryptionAlgorithm: "SYMMETRIC_DEFAULT" };
      case "GetSecretValue":
        return { secretId: `prod/${this.pick(["db", "api", "smtp", "payments"])}/credentials` };
      case "AssumeRole":
        return {
          roleArn: `arn:aws:iam::${ACCOUNT}:role/${this.pick(ROLES).name}`,
          roleSessionName: this.hex(8),
        };
      default:
        return source === "s3.amazonaws.com" ? { Host: "s3.amazonaws.com" } : null;
    }
  }

  /** The drafts of one attack instance, spread over seconds to minutes from `time`. */
  private attack(kind: Attack, time: number): { time: number; draft: Draft }[] {
    const victim = this.pick(USERS);
    const vps = `45.${133 + this.rng.int(8)}.${this.rng.int(256)}.${1 + this.rng.int(254)}`;
    const out: { time: number; draft: Draft }[] = [];
    const add = (dt: number, d: Omit<Draft, "attack">): void => {
      out.push({ time: time + dt, draft: { ...d, attack: kind } });
    };
    switch (kind) {
      case "credential-use-new-asn": {
        const calls: [string, string][] = [
          ["sts.amazonaws.com", "GetCallerIdentity"],
          ["s3.amazonaws.com", "ListBuckets"],
          ["iam.amazonaws.com", "ListAttachedUserPolicies"],
          ["s3.amazonaws.com", "GetObject"],
        ];
        calls.forEach(([source, name], k) =>
          add(k * 4000 + this.rng.int(3000), {
            actor: victim,
            source,
            name,
            ip: vps,
            agent: "Boto3/1.26.0 Python/3.8.10 Linux/5.4.0-1029-aws Botocore/1.29.0",
          }),
        );
        break;
      }
      case "discovery-burst": {
        const calls: [string, string][] = [
          ["iam.amazonaws.com", "ListUsers"],
          ["iam.amazonaws.com", "ListRoles"],
          ["iam.amazonaws.com", "ListPolicies"],
          ["iam.amazonaws.com", "GetAccountAuthorizationDetails"],
          ["ec2.amazonaws.com", "DescribeInstances"],
          ["ec2.amazonaws.com", "DescribeSnapshots"],
          ["ec2.amazonaws.com", "DescribeKeyPairs"],
          ["s3.amazonaws.com", "ListBuckets"],
          ["s3.amazonaws.com", "GetBucketPolicy"],
          ["rds.amazonaws.com", "DescribeDBInstances"],
          ["secretsmanager.amazonaws.com", "ListSecrets"],
          ["lambda.amazonaws.com", "ListFunctions20150331"],
          ["guardduty.amazonaws.com", "ListDetectors"],
          ["cloudtrail.amazonaws.com", "DescribeTrails"],
        ];
        const n = 40 + this.rng.int(41);
        for (let k = 0; k < n; k++) {
          const [source, name] = this.pick(calls);
          add(this.rng.int(120_000), {
            actor: victim,
            source,
            name,
            ip: victim.ips[3],
            agent: AGENTS.cli,
            error: this.rng.float() < 0.3 ? "AccessDenied" : undefined,
          });
        }
        break;
      }
      case "trail-deletion":
        add(0, {
          actor: victim,
          source: "cloudtrail.amazonaws.com",
          name: "StopLogging",
          ip: vps,
          agent: AGENTS.cli,
          request: { name: "management-events" },
        });
        add(9000, {
          actor: victim,
          source: "cloudtrail.amazonaws.com",
          name: "DeleteTrail",
          ip: vps,
          agent: AGENTS.cli,
          request: { name: "management-events" },
        });
        break;
      case "snapshot-exfiltration": {
        const role = ROLES[0];
        const snap = `snap-0${this.hex(16)}`;
        add(0, {
          actor: role,
          source: "ec2.amazonaws.com",
          name: "CreateSnapshot",
          ip: vps,
          agent: AGENTS.boto,
          request: { volumeId: `vol-0${this.hex(16)}` },
          response: { snapshotId: snap },
        });
        add(60_000, {
          actor: role,
          source: "ec2.amazonaws.com",
          name: "ModifySnapshotAttribute",
          ip: vps,
          agent: AGENTS.boto,
          request: {
            snapshotId: snap,
            attributeType: "CREATE_VOLUME_PERMISSION",
            createVolumePermission: { add: { items: [{ userId: "999988887777" }] } },
          },
        });
        break;
      }
      case "secrets-harvest": {
        const role = this.pick(ROLES);
        const n = 15 + this.rng.int(20);
        for (let k = 0; k < n; k++)
          add(this.rng.int(60_000), {
            actor: role,
            source: "secretsmanager.amazonaws.com",
            name: "GetSecretValue",
            ip: vps,
            agent: AGENTS.cli,
            request: { secretId: `prod/${this.hex(4)}/credentials` },
          });
        break;
      }
      case "console-login-no-mfa":
        add(0, {
          actor: victim,
          source: "signin.amazonaws.com",
          name: "ConsoleLogin",
          ip: `${77 + this.rng.int(10)}.${this.rng.int(256)}.${this.rng.int(256)}.${1 + this.rng.int(254)}`,
          agent: "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
          response: { ConsoleLogin: "Success" },
          request: null,
        });
        break;
      case "iam-persistence": {
        const user = `svc-${this.hex(5)}`;
        const calls: [string, Record<string, unknown>][] = [
          ["CreateUser", { userName: user }],
          ["CreateAccessKey", { userName: user }],
          [
            "AttachUserPolicy",
            { userName: user, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
          ],
        ];
        calls.forEach(([name, request], k) =>
          add(k * 20_000, {
            actor: victim,
            source: "iam.amazonaws.com",
            name,
            ip: vps,
            agent: AGENTS.cli,
            request,
          }),
        );
        break;
      }
    }
    return out;
  }

  private record(time: number, d: Draft): string {
    const consoleLogin = d.name === "ConsoleLogin";
    const record: Record<string, unknown> = {
      eventVersion: "1.09",
      userIdentity: d.actor.identity,
      eventTime: new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z"),
      eventSource: d.source,
      eventName: d.name,
      awsRegion: this.rng.float() < 0.9 ? "us-east-1" : "eu-west-1",
      sourceIPAddress: d.ip,
      userAgent: d.agent,
      ...(d.error
        ? {
            errorCode: d.error,
            errorMessage: `User is not authorized to perform: ${d.source.split(".")[0]}:${d.name}`,
          }
        : {}),
      requestParameters: d.request !== undefined ? d.request : this.request(d.source, d.name),
      responseElements: d.response ?? (consoleLogin ? { ConsoleLogin: "Success" } : null),
      ...(consoleLogin
        ? {
            additionalEventData: { MFAUsed: d.attack === null ? "Yes" : "No", MobileVersion: "No" },
          }
        : {}),
      requestID: this.uuid(),
      eventID: this.uuid(),
      readOnly: /^(Describe|List|Get)/.test(d.name),
      eventType: consoleLogin ? "AwsConsoleSignIn" : "AwsApiCall",
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: "Management",
      ...(d.ip.includes(".amazonaws.com")
        ? {}
        : {
            tlsDetails: {
              tlsVersion: "TLSv1.3",
              cipherSuite: "TLS_AES_128_GCM_SHA256",
              clientProvidedHostHeader: `${d.source.split(".")[0]}.us-east-1.amazonaws.com`,
            },
          }),
      label: d.attack === null ? 0 : 1,
      attack: d.attack,
    };
    return JSON.stringify(record);
  }

  /** Yields `rows` records as JSON text, in time order. */
  *records(rows: number): Generator<string> {
    let emitted = 0;
    let minute = 0;
    let nextAttack = this.rng.float() * RECORDS_PER_ATTACK;
    let attackIndex = this.rng.int(ATTACKS.length);
    while (emitted < rows) {
      const start = START + minute * 60_000;
      const date = new Date(start);
      const hour = date.getUTCHours();
      const weekend = date.getUTCDay() === 0 || date.getUTCDay() === 6;
      for (const actor of ACTORS) {
        const rate = RATE[actor.kind] * actor.hourly[hour] * (weekend ? actor.weekend : 1);
        let count = 0;
        // Poisson draw by inversion; rates are small.
        const limit = Math.exp(-rate);
        for (let p = this.rng.float(); p > limit; p *= this.rng.float()) count++;
        for (let c = 0; c < count; c++) {
          const [source, name] = weightedPick(this.rng, actor.events);
          this.pending.push({
            time: start + this.rng.int(60_000),
            draft: {
              actor,
              source,
              name,
              ip: this.pick(actor.ips),
              agent: this.pick(actor.agents),
              attack: null,
            },
          });
          if (emitted + this.pending.length >= nextAttack) {
            const kind = ATTACKS[attackIndex++ % ATTACKS.length];
            this.pending.push(...this.attack(kind, start));
            nextAttack += RECORDS_PER_ATTACK * (0.5 + this.rng.float());
          }
        }
      }
      // Later minutes, and attacks started in them, only add events from the next minute on.
      const horizon = start + 60_000;
      this.pending.sort((a, b) => a.time - b.time);
      let k = 0;
      while (k < this.pending.length && this.pending[k].time < horizon && emitted < rows) {
        yield this.record(this.pending[k].time, this.pending[k].draft);
        emitted++;
        k++;
      }
      this.pending.splice(0, k);
      minute++;
    }
    this.pending.sort((a, b) => a.time - b.time);
    for (const p of this.pending) {
      if (emitted >= rows) break;
      yield this.record(p.time, p.draft);
      emitted++;
    }
  }
}

function weightedPick<T extends readonly [string, string, number]>(
  rng: Random,
  items: readonly T[],
): T {
  let total = 0;
  for (const it of items) total += it[2];
  let u = rng.float() * total;
  for (const it of items) {
    u -= it[2];
    if (u < 0) return it;
  }
  return items[items.length - 1];
}

/** `rows` synthetic CloudTrail records (JSON text, one per element), in time order. */
export function generateCloudTrail(rows: number, seed: number): Iterable<string> {
  return new CloudTrailStory(seed).records(rows);
}

/**
 * Writes synthetic records to `path`: `{"Records": [...]}` (as AWS delivers CloudTrail) when the
 * name ends in .json, JSON Lines otherwise; gzip when it ends in .gz. Streams, so 10M records
 * need no more memory than 10k.
 */
export async function writeCloudTrail(path: string, rows: number, seed: number): Promise<void> {
  const gzip = path.toLowerCase().endsWith(".gz");
  const records = /\.json(\.gz)?$/i.test(path);
  const file = createWriteStream(path);
  const sink: Writable = gzip ? createGzip({ level: 6 }) : file;
  const done = gzip ? pipeline(sink as Transform, file) : finished(file);
  let buffer = records ? '{"Records":[\n' : "";
  let first = true;
  const flush = async (): Promise<void> => {
    if (!sink.write(buffer)) await once(sink, "drain");
    buffer = "";
  };
  for (const r of generateCloudTrail(rows, seed)) {
    buffer += records ? (first ? r : `,\n${r}`) : `${r}\n`;
    first = false;
    if (buffer.length > 1 << 20) await flush();
  }
  if (records) buffer += "\n]}\n";
  await flush();
  sink.end();
  await done;
}
