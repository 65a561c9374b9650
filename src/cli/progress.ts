/**
 * Progress on stderr. On a terminal: one live line per detector (state, elapsed, ETA from the
 * runtime forecast) redrawn a few
 * times a second, and a spinner for other stages. Elsewhere (CI, pipes): one plain line per event.
 */
import type { JobEvent } from "../hunt/pool.js";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

interface DetectorLine {
  state: "waiting" | "running" | "done" | "failed";
  started: number;
  seconds: number;
  note: string;
}

export class Progress {
  private readonly tty: boolean;
  private stage: { text: string; started: number } | undefined;
  private detectors: { names: readonly string[]; lines: DetectorLine[] } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private drawnLines = 0;
  /** Predicted seconds per detector name, for the ETA (absent: no forecast). */
  private predicted = new Map<string, number>();
  private frame = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.tty = stream.isTTY === true && !quiet;
  }

  /** A new stage ("reading file.csv"); the previous one is closed with its time. */
  setStage(text: string): void {
    this.closeStage();
    this.stage = { text, started: Date.now() };
    if (this.quiet) return;
    if (!this.tty) this.stream.write(`${text}…\n`);
    this.ensureTimer();
  }

  /** The forecast of each detector about to run, shown as an ETA while it runs. */
  setForecast(names: readonly string[], predicted: readonly (number | null)[]): void {
    this.predicted = new Map();
    names.forEach((n, k) => {
      if (predicted[k] !== null) this.predicted.set(n, predicted[k]!);
    });
  }

  /** A message that stays on screen (a dropped detector). */
  note(text: string): void {
    if (this.quiet) return;
    if (this.tty) this.clear();
    this.stream.write(`${text}\n`);
    if (this.tty) this.draw();
  }

  detectorEvent(e: JobEvent, names: readonly string[]): void {
    if (this.detectors === undefined || this.detectors.names !== names) {
      this.detectors = {
        names,
        lines: names.map(() => ({ state: "waiting", started: 0, seconds: 0, note: "" })),
      };
    }
    const line = this.detectors.lines[e.index];
    if (e.kind === "start") {
      line.state = "running";
      line.started = Date.now();
    } else {
      line.state = e.reply.ok ? "done" : "failed";
      line.seconds = e.reply.ok ? e.reply.seconds : e.wallSeconds;
      line.note = e.reply.ok ? "" : e.reply.error;
      if (!this.tty && !this.quiet) {
        this.stream.write(
          `  ${names[e.index]}: ${e.reply.ok ? `done in ${line.seconds.toFixed(2)} s` : `FAILED (${e.reply.error})`}\n`,
        );
      }
    }
    if (this.tty) this.draw();
  }

  /** Stops redrawing and leaves the final state on screen. */
  finish(): void {
    this.closeStage();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.draw();
    this.drawnLines = 0;
    this.detectors = undefined;
  }

  private closeStage(): void {
    if (this.stage === undefined) return;
    if (this.tty) {
      this.clear();
      this.stream.write(`${this.stage.text} (${elapsed(this.stage.started)})\n`);
    }
    this.stage = undefined;
  }

  private ensureTimer(): void {
    if (!this.tty || this.timer !== undefined) return;
    this.timer = setInterval(() => this.draw(), 200);
    this.timer.unref();
  }

  private clear(): void {
    if (this.drawnLines > 0) this.stream.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    this.clear();
    const out: string[] = [];
    this.frame = (this.frame + 1) % FRAMES.length;
    if (this.stage !== undefined)
      out.push(`${FRAMES[this.frame]} ${this.stage.text} (${elapsed(this.stage.started)})`);
    if (this.detectors !== undefined) {
      const width = Math.max(...this.detectors.names.map((n) => n.length));
      this.detectors.lines.forEach((l, k) => {
        const name = this.detectors!.names[k].padEnd(width);
        const forecast = this.predicted.get(this.detectors!.names[k]);
        const eta =
          forecast === undefined
            ? ""
            : `  ETA ${Math.max(0, forecast - (Date.now() - l.started) / 1000).toFixed(1)} s`;
        const time =
          l.state === "running"
            ? `${elapsed(l.started)}${eta}`
            : l.state === "waiting"
              ? forecast === undefined
                ? ""
                : `predicted ${forecast.toFixed(1)} s`
              : `${l.seconds.toFixed(2)} s`;
        const mark =
          l.state === "done"
            ? "✓"
            : l.state === "failed"
              ? "✗"
              : l.state === "running"
                ? FRAMES[this.frame]
                : "·";
        out.push(`  ${mark} ${name}  ${l.state.padEnd(7)} ${time}${l.note ? `  ${l.note}` : ""}`);
      });
    }
    if (out.length > 0) this.stream.write(out.join("\n") + "\n");
    this.drawnLines = out.length;
  }
}

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
