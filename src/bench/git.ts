/** The commit a benchmark's results are recorded against. */
import { execFileSync } from "node:child_process";

/** The short hash of the repository's HEAD, or "unknown" outside a git checkout. */
export function gitCommit(repo: string): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: repo,
      encoding: "utf8",
    }).trim();
  } catch {
    return "unknown";
  }
}
