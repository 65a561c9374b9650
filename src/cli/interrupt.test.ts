/**
 * A hunt killed part-way (issue: "a killed run leaves no half-written output that looks complete;
 * a rerun starts clean"), through the real CLI in a child process: interrupted while fitting and
 * while writing its outputs, by SIGTERM, SIGINT and SIGKILL.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "main.js");
const sample = resolve(here, "..", "..", "examples", "data", "connections.csv");
const OUTPUTS = ["flagged.csv", "flagged.jsonl", "flagged.parquet", "hunt.duckdb", "summary.json"];

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True if the kill was sent before the process ended by itself. */
  readonly killed: boolean;
  readonly stderr: string;
}

/**
 * Runs a hunt into `out` and sends `signal` once `when(out)` first holds (polled every 5 ms).
 */
function huntAndKill(
  out: string,
  signal: NodeJS.Signals,
  when: (out: string) => boolean,
): Promise<Ended> {
  const child = spawn(
    process.execPath,
    [cli, "hunt", sample, "--exclude", "hour", "--out", out, "--quiet"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  let killed = false;
  const poll = setInterval(() => {
    if (!killed && child.exitCode === null && when(out)) {
      killed = child.kill(signal);
      clearInterval(poll);
    }
  }, 5);
  return new Promise((done) =>
    child.on("exit", (code, sig) => {
      clearInterval(poll);
      done({ code, signal: sig, killed, stderr });
    }),
  );
}

const staging = (out: string): string[] =>
  existsSync(out) ? readdirSync(out).filter((f) => f.startsWith(".hunt-partial-")) : [];
const writing = (out: string): boolean => staging(out).length > 0;

/** The folder holds a finished run (all five outputs) or nothing that claims to be one. */
function assertNothingLooksComplete(out: string, ended: Ended): void {
  const files = existsSync(out) ? readdirSync(out) : [];
  if (ended.code === 0) {
    // The run beat the signal: then it must be whole.
    assert.deepEqual(files.sort(), [...OUTPUTS].sort());
    return;
  }
  assert.ok(!files.includes("summary.json"), `summary.json left by a killed run: ${files}`);
}

for (const [signal, code] of [
  ["SIGTERM", 143],
  ["SIGINT", 130],
] as const) {
  for (const [stage, makeWhen] of [
    // The hunt makes its output folder after encoding, just before fitting.
    ["while fitting", () => existsSync],
    ["while writing its outputs", () => writing],
  ] as const) {
    test(`${signal} ${stage}: the staging folder is removed and nothing looks finished`, async (t) => {
      const out = join(mkdtempSync(join(tmpdir(), "anomalog-kill-")), "out");
      const ended = await huntAndKill(out, signal, makeWhen());
      t.diagnostic(
        `signal sent: ${ended.killed}; exit code ${ended.code}, files ${readdirSync(out)}`,
      );
      assert.ok(ended.killed, "the hunt ended before the signal could be sent");
      assertNothingLooksComplete(out, ended);
      assert.deepEqual(staging(out), [], "staging folder left behind");
      if (ended.killed && ended.code !== 0) {
        assert.equal(ended.code, code);
        assert.match(
          ended.stderr,
          new RegExp(`interrupted \\(${signal}\\); unfinished outputs removed`),
        );
      }
    });
  }
}

test("SIGKILL while writing (no handler can run): nothing looks finished, and a rerun starts clean", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "anomalog-kill-"));
  const ended = await huntAndKill(out, "SIGKILL", writing);
  t.diagnostic(`signal sent: ${ended.killed}; exit code ${ended.code}, files ${readdirSync(out)}`);
  assert.ok(ended.killed, "the hunt ended before the signal could be sent");
  assertNothingLooksComplete(out, ended);
  const rerun = await huntAndKill(out, "SIGTERM", () => false);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(readdirSync(out).sort(), [...OUTPUTS].sort());
});
