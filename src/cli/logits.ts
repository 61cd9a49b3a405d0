/** `robustlens logits CKPT [--compare CKPT2]`: logit statistics of a checkpoint on test images. */
import { collectLogitStats, compareConfidence, summarize } from '../analysis/logits.js';
import { init } from '../node.js';
import { ownedBatches } from '../data/owned-batches.js';
import { int } from './args.js';
import type { Command } from './command.js';
import { dataHelp, dataOptions, testDataFrom, userDataHelp, userDataOptions } from './common.js';
import { buildFromCheckpoint, chooseArch, classesOf, loadModelHelp, modelOption, readCheckpointArg } from './models.js';

export const logits: Command = {
  name: 'logits',
  summary: 'logit statistics (max logit, gap, confidence, entropy) of a checkpoint; compare two',
  help: `Usage: robustlens logits A.safetensors [--compare B.safetensors] [options]

Per test image: max logit, logit gap (top-1 minus top-2), max minus mean, softmax confidence,
entropy and the true-class margin; summarised (mean, median, split by correct/incorrect). With
--compare, the per-example confidence ranks of the two models: Spearman correlation, overlap of the
most and least confident sets, and the examples whose ranks differ most.

Options:
  --compare B        a second checkpoint (its architecture too comes from its metadata, or --model)
  --n N              test images (default 1000)
${dataHelp}
${loadModelHelp}
${userDataHelp}`,
  positionals: true,
  options: { ...dataOptions, ...userDataOptions, compare: { type: 'string' }, n: { type: 'string' } },
  async run(args) {
    const n = int(args, 'n', 1000, 2);
    const loadData = testDataFrom(args);
    const modelName = modelOption(args);
    const ca = await readCheckpointArg(args.positionals[0]);
    const other = args.values.compare;
    const cb = typeof other === 'string' ? await readCheckpointArg(other, '--compare') : null;
    const data = await loadData(classesOf(ca));
    const set = data.test.take(n);
    const archA = chooseArch(ca, modelName, set.shape);
    const archB = cb ? chooseArch(cb, modelName, set.shape) : null;
    await init();
    const a = buildFromCheckpoint(ca, archA);
    try {
      const ta = await collectLogitStats(a, ownedBatches(set, 250));
      const out: Record<string, unknown> = { checkpoint: args.positionals[0], n: ta.n, summary: summarize(ta) };
      if (cb && archB) {
        const b = buildFromCheckpoint(cb, archB);
        try {
          const tb = await collectLogitStats(b, ownedBatches(set, 250));
          const c = compareConfidence(ta.confidence, tb.confidence);
          out.compare = { checkpoint: cb.path, summary: summarize(tb), spearman: c.spearman, k: c.k, topOverlap: c.topOverlap, bottomOverlap: c.bottomOverlap, aOverB: c.aOverB, bOverA: c.bOverA };
        } finally {
          b.dispose();
        }
      }
      console.log(JSON.stringify(out, null, 1));
      return 0;
    } finally {
      a.dispose();
    }
  },
};
