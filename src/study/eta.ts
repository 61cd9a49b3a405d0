/**
 * The study's progress estimate (issue 17 §4): each stage's share is its work (work.ts), and the time
 * left is the work left divided by the throughput measured on the stages computed so far in this run.
 * The first stage computed is left out of that throughput once another one has run: it also pays for
 * compiling most of the shaders, which later stages reuse. Stages loaded by --resume cost no time and
 * calibrate nothing. Pure: the StageRunner feeds it names and seconds.
 */
export interface EtaEstimate {
  /** Share of the total work finished (computed or loaded), 0 … 1. */
  fraction: number;
  /** Seconds left, NaN until a stage with work has been computed. */
  left: number;
}

export class Eta {
  private readonly total: number;
  private finished = 0;
  private readonly ran: { work: number; seconds: number }[] = [];

  /** `work`: every stage's work by name (relative units); stages not listed count as no work. */
  constructor(private readonly work: Readonly<Record<string, number>>) {
    this.total = Object.values(work).reduce((a, b) => a + b, 0);
  }

  /** A stage finished: computed now in `seconds`, or loaded from an earlier run (`ran` false). */
  record(name: string, seconds: number, ran: boolean): EtaEstimate {
    const w = this.work[name] ?? 0;
    this.finished += w;
    if (ran && w > 0) this.ran.push({ work: w, seconds });
    return this.estimate();
  }

  /** Work units per second of the stages computed so far (without the first, once there are two or more). */
  throughput(): number {
    const used = this.ran.length > 1 ? this.ran.slice(1) : this.ran;
    const work = used.reduce((a, r) => a + r.work, 0);
    const seconds = used.reduce((a, r) => a + r.seconds, 0);
    return work > 0 && seconds > 0 ? work / seconds : NaN;
  }

  estimate(): EtaEstimate {
    if (!(this.total > 0)) return { fraction: NaN, left: NaN };
    return { fraction: this.finished / this.total, left: Math.max(0, this.total - this.finished) / this.throughput() };
  }
}
