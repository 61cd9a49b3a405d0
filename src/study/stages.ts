import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTextAtomic } from '../data/fs-node.js';
import { Eta } from './eta.js';

export interface StageContext {
  /** Directory for this run's artefacts (checkpoints, stage results). */
  outDir: string;
  log: (msg: string) => void;
}

export interface Stage<T> {
  name: string;
  run: (ctx: StageContext) => Promise<T>;
}

/**
 * Runs named stages in order, saving each result as JSON under outDir/stages/NAME.json when it
 * finishes. With `resume`, a stage whose result file exists is not run again: its saved result is
 * returned, so an interrupted study continues where it stopped without redoing finished work.
 */
export class StageRunner {
  readonly done: string[] = [];
  readonly skipped: string[] = [];
  /** Seconds each stage took to compute (loaded from its timing file for a stage resumed from an earlier run). */
  readonly stageSeconds: Record<string, number> = {};
  /** Seconds the stages of this runner took to compute, in this run and (loaded) in earlier ones. */
  computeSeconds = 0;
  /** The part of computeSeconds spent in earlier runs (stages loaded by --resume). */
  resumedSeconds = 0;
  private readonly started = performance.now();
  private readonly eta: Eta;

  /**
   * `work` gives every stage's work (work.ts: images × passes × model cost), so that progress and the
   * time left can be estimated from the throughput of the stages computed so far (eta.ts).
   */
  constructor(
    private readonly ctx: StageContext,
    private readonly resume: boolean,
    work: Readonly<Record<string, number>> = {},
  ) {
    this.eta = new Eta(work);
  }

  private progress(name: string, seconds: number, ran: boolean): void {
    const { fraction, left } = this.eta.record(name, seconds, ran);
    if (!Number.isFinite(fraction)) return;
    const elapsed = (performance.now() - this.started) / 1000;
    const mins = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
    this.ctx.log(`progress ${Math.round(100 * fraction)}%, ${mins(elapsed)} elapsed${Number.isFinite(left) ? `, about ${mins(left)} left` : ''}`);
  }

  path(name: string): string {
    return join(this.ctx.outDir, 'stages', `${name}.json`);
  }

  /** Beside each result: how long the stage took to compute, so a resumed study can report its full cost. */
  private timingPath(name: string): string {
    return join(this.ctx.outDir, 'stages', `${name}.timing.json`);
  }

  async run<T>(stage: Stage<T>): Promise<T> {
    const file = this.path(stage.name);
    if (this.resume && existsSync(file)) {
      this.skipped.push(stage.name);
      this.ctx.log(`stage ${stage.name}: finished in an earlier run, loaded ${file}`);
      const timing = this.timingPath(stage.name);
      // Results from before timings were kept have none: they count as 0 s.
      const seconds = existsSync(timing) ? Number((JSON.parse(readFileSync(timing, 'utf8')) as { seconds?: number }).seconds) || 0 : 0;
      this.computeSeconds += seconds;
      this.resumedSeconds += seconds;
      this.stageSeconds[stage.name] = seconds;
      this.progress(stage.name, seconds, false);
      return JSON.parse(readFileSync(file, 'utf8')) as T;
    }
    const t0 = performance.now();
    this.ctx.log(`stage ${stage.name}: running`);
    const result = await stage.run(this.ctx);
    const seconds = (performance.now() - t0) / 1000;
    // Timing first: a crash between the two writes leaves a timing without a result, which is rerun.
    await writeTextAtomic(this.timingPath(stage.name), JSON.stringify({ seconds }));
    await writeTextAtomic(file, JSON.stringify(result, null, 1));
    this.computeSeconds += seconds;
    this.stageSeconds[stage.name] = seconds;
    this.done.push(stage.name);
    this.ctx.log(`stage ${stage.name}: done in ${seconds.toFixed(1)} s`);
    this.progress(stage.name, seconds, true);
    return result;
  }
}
