import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/fs-node.js';

/** Write text atomically (temp file, fsync, rename): a crash never leaves a half-written file. */
export const atomicWrite = (path: string, text: string): Promise<void> => writeFileAtomic(path, new TextEncoder().encode(text));

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

  constructor(
    private readonly ctx: StageContext,
    private readonly resume: boolean,
  ) {}

  path(name: string): string {
    return join(this.ctx.outDir, 'stages', `${name}.json`);
  }

  async run<T>(stage: Stage<T>): Promise<T> {
    const file = this.path(stage.name);
    if (this.resume && existsSync(file)) {
      this.skipped.push(stage.name);
      this.ctx.log(`stage ${stage.name}: finished in an earlier run, loaded ${file}`);
      return JSON.parse(readFileSync(file, 'utf8')) as T;
    }
    const t0 = performance.now();
    this.ctx.log(`stage ${stage.name}: running`);
    const result = await stage.run(this.ctx);
    await atomicWrite(file, JSON.stringify(result, null, 1));
    this.done.push(stage.name);
    this.ctx.log(`stage ${stage.name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  }
}
