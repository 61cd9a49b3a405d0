/** `robustlens similarity A.npy B.npy`: CKA between two feature matrices (rows are examples). */
import { similarityFromMatrices } from '../analysis/similarity.js';
import { checkSameRows, parseNpy } from '../data/npy.js';
import { init } from '../node.js';
import { int } from './args.js';
import { UsageError, type Command } from './command.js';
import { parseInput, readInput, type FileRole } from './files.js';

const role = (arg: string): FileRole => ({ arg, expects: 'a 2-D .npy feature matrix', fix: 'give a 2-D float32 or float64 array (one row per example) saved with np.save', suffixes: ['.npy'] });
const readMatrix = async (path: string, arg: string) => parseInput(await readInput(path, role(arg)), path, role(arg), (b, f) => parseNpy(b, f));

export const similarity: Command = {
  name: 'similarity',
  summary: 'linear, debiased, RBF and minibatch CKA between two .npy feature matrices',
  help: `Usage: robustlens similarity A.npy B.npy [--batch N]

A and B are 2-D .npy files (float32 or float64, C order), one row per example, the same examples in
the same order. Prints JSON with linear (biased) CKA, debiased CKA, RBF CKA (threshold 0.5 and 1.0,
biased and debiased) and minibatch CKA (Nguyen et al.) for the given batch size.

Options:
  --batch N   minibatch size for minibatch CKA (default 256, or the number of rows if smaller)
  --cpu       compute on the float64 CPU reference instead of the GPU`,
  positionals: true,
  options: { batch: { type: 'string' }, cpu: { type: 'boolean' } },
  async run(args) {
    const [fa, fb, ...extra] = args.positionals;
    if (!fa || !fb || extra.length > 0) throw new UsageError('give exactly two .npy files: robustlens similarity A.npy B.npy');
    const batch = args.values.batch === undefined ? null : int(args, 'batch', 256, 4);
    const a = await readMatrix(fa, 'A');
    const b = await readMatrix(fb, 'B');
    checkSameRows(a, b, fa, fb);
    await init(args.values.cpu ? { backend: 'cpu' } : {});
    const report = await similarityFromMatrices(
      { data: a.data, shape: [a.rows, a.cols] },
      { data: b.data, shape: [b.rows, b.cols] },
      { batchSize: batch ?? Math.min(256, a.rows) },
    );
    console.log(JSON.stringify({ A: fa, B: fb, ...report }, null, 1));
    return 0;
  },
};
