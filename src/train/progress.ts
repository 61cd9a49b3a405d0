/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal and not `quiet`
 * (so logs, pipes and CI stay clean). Works where `process` exists (Node, Deno's Node compat);
 * elsewhere (browsers) it draws nothing.
 */
interface TtyStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

function stderrTty(): TtyStream | null {
  const p = (globalThis as { process?: { stderr?: TtyStream } }).process;
  return p?.stderr?.isTTY ? p.stderr : null;
}

export class ProgressBar {
  private readonly out: TtyStream | null;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    opts: { quiet?: boolean; stream?: TtyStream } = {},
  ) {
    this.out = opts.quiet ? null : (opts.stream ?? stderrTty());
  }

  get active(): boolean {
    return this.out !== null;
  }

  /** Redraw (at most ~10 times a second unless `force`). */
  update(done: number, info: string, force = false): void {
    if (!this.out) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    let bar = '';
    if (this.total && this.total > 0) {
      const f = Math.min(1, done / this.total);
      const full = Math.round(f * width);
      bar = `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${this.total} `;
    } else {
      bar = `${done} `;
    }
    const line = `${this.label} ${bar}${info}`;
    const cols = this.out.columns ?? 100;
    this.out.write(`\r${line.slice(0, cols - 1)}\x1b[K`);
    this.drawn = true;
  }

  /** Clear the line (the caller prints the epoch summary itself). */
  end(): void {
    if (this.out && this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
