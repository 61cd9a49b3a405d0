/** `robustlens logits CKPT [--compare CKPT2]`: logit statistics of a checkpoint on test images. */
import { collectLogitStats, compareConfidence, summarize } from '../analysis/logits.js';
import { init } from '../node.js';
import { ownedBatches } from '../data/owned-batches.js';
import { int } from './args.js';
import type { Command } from './command.js';
import { dataHelp, dataOptions, modelFromCheckpoint, testDataFrom, userDataHelp, userDataOptions } from './common.js';

export const logits: Command = {
  name: 'logits',
  summary: 'logit statistics (max logit, gap, confidence, entropy) of a checkpoint; compare two',
  help: `Usage: robustlens logits A.safetensors [--compare B.safetensors] [options]

Per test image: max logit, logit gap (top-1 minus top-2), max minus mean, softmax confidence,
entropy and the true-class margin; summarised (mean, median, split by correct/incorrect). With
--compare, the per-example confidence ranks of the two models: Spearman correlation, overlap of the
most and least confident sets, and the examples whose ranks differ most.

Options:
  --compare B   a second checkpoint of the same architecture
  --n N         test images (default 1000)
${dataHelp}
${userDataHelp}`,
  positionals: true,
  options: { ...dataOptions, ...userDataOptions, compare: { type: 'string' }, n: { type: 'string' } },
  async run(args) {
    await init();
    const data = await testDataFrom(args);
    const set = data.test.take(int(args, 'n', 1000, 2));
    const a = await modelFromCheckpoint(args, args.positionals[0], set.shape);
    try {
      const ta = await collectLogitStats(a, ownedBatches(set, 250));
      const out: Record<string, unknown> = { checkpoint: args.positionals[0], n: ta.n, summary: summarize(ta) };
      const other = args.values.compare;
      if (typeof other === 'string') {
        const b = await modelFromCheckpoint(args, other, set.shape);
        try {
          const tb = await collectLogitStats(b, ownedBatches(set, 250));
          const c = compareConfidence(ta.confidence, tb.confidence);
          out.compare = { checkpoint: other, summary: summarize(tb), spearman: c.spearman, k: c.k, topOverlap: c.topOverlap, bottomOverlap: c.bottomOverlap, aOverB: c.aOverB, bOverA: c.bOverA };
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
