/** `robustlens cka A B`: a layer × layer minibatch CKA heatmap between two checkpoints (JSON, SVG, HTML). */
import { basename, dirname, join } from 'node:path';
import { layerNames, layerSimilarity, type PairedInputs } from '../analysis/features.js';
import type { CkaMatrix } from '../analysis/minibatch.js';
import type { Dataset } from '../data/dataset.js';
import { writeTextAtomic } from '../data/fs-node.js';
import { describeArch } from '../nn/arch.js';
import type { Module } from '../nn/module.js';
import { init } from '../node.js';
import { ckaPage, ckaSvg } from '../report/cka-page.js';
import { ckaLayers } from '../study/similarity.js';
import { flag, int, logger, num, optional, str } from './args.js';
import { INPUT_NAMES, INPUT_SOURCES, type InputSource } from './cka-inputs.js';
import { InputError, UsageError, type Command } from './command.js';
import { dataHelp, dataOptions, testDataFrom, userDataHelp, userDataOptions } from './common.js';
import { buildFromCheckpoint, chooseArch, classesOf, loadModelHelp, modelOption, readCheckpointArg } from './models.js';

/** The layers compared: --layers (checked against what the model reports), else its ReLU, pooling and linear outputs. */
function chooseLayers(model: Module, probe: Dataset, given: string | undefined, which: string): string[] {
  const b = probe.batches(1).next().value!;
  try {
    const all = layerNames(model, b.x);
    if (given === undefined) {
      const preferred = ckaLayers(model);
      return preferred.length > 0 ? preferred : all;
    }
    const want = given.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = want.filter((n) => !all.includes(n));
    if (want.length === 0 || unknown.length) {
      throw new InputError(`${which}: model ${which === '--layers' ? 'A' : 'B'} has no layer ${unknown.map((n) => `'${n}'`).join(', ') || '(none given)'}; its layers are ${all.join(', ')}`);
    }
    return want;
  } finally {
    b.x.dispose();
  }
}

/** A qualified layer name with its module's kind, e.g. '3 (ReLU)'. */
function labelOf(model: Module, name: string): string {
  let m: Module | undefined = model;
  for (const part of name.split('.')) m = m?.children().find(([n]) => n === part)?.[1];
  return m ? `${name} (${m.constructor.name})` : name;
}

/** The batches of `set` in order (the same examples for both models), each mapped by the input source. */
async function* pairedBatches(set: Dataset, batch: number, source: InputSource, log: (m: string) => void): AsyncGenerator<PairedInputs> {
  const total = set.batchCount(batch, true);
  let i = 0;
  for (const b of set.batches(batch, { dropLast: true })) {
    try {
      const { a, b: xb } = await source.inputs(b);
      try {
        log(`batch ${++i}/${total}`);
        yield { a, b: xb };
      } finally {
        if (a !== b.x) a.dispose();
        if (xb !== a && xb !== b.x) xb.dispose();
      }
    } finally {
      b.x.dispose();
    }
  }
}

/** A checkpoint's file name with its folder (runs keep their last.safetensors in folders of their own). */
const shortName = (p: string): string => join(basename(dirname(p)), basename(p));

const nullIfNaN = (v: number): number | null => (Number.isFinite(v) ? v : null);

export const cka: Command = {
  name: 'cka',
  summary: 'layer × layer CKA heatmap between two checkpoints, on clean or adversarial inputs (JSON, SVG, HTML)',
  help: `Usage: robustlens cka A B [options] --out DIR

Minibatch linear CKA (Nguyen et al. 2021) between every layer of checkpoint A (rows) and every layer
of checkpoint B (columns), over the same test images in the same order for both models. Writes
DIR/cka.json, DIR/cka.svg and DIR/cka.html (the heatmap with the layer names and a table of values),
and prints the JSON.

Options:
  --inputs I         what the models see: clean (default); pgd: PGD examples made against each model
                     (A sees those against A, B those against B); pgd-a: the examples made against A,
                     shown to both
  --layers L1,L2,…   A's layers (default: its ReLU, pooling and linear outputs; a model that is not a
                     Sequential: every layer it reports); an unknown name lists the model's layers
  --layers-b L1,…    B's layers (default: --layers when given, else as for A)
  --n N              test images (default 1000); the last partial batch is dropped
  --batch M          minibatch size, >= 4 (default 256)
  --eps E            PGD budget (default 0.1)
  --steps K          PGD steps (default 10); step size --alpha (default 2.5·ε/K)
  --norm N           linf (default) or l2
  --out DIR          where the files go (default out/cka)
  --model-b NAME     B's architecture when its checkpoint records none (default: --model)
${dataHelp}
${loadModelHelp}
${userDataHelp}`,
  positionals: true,
  options: {
    ...dataOptions, ...userDataOptions, inputs: { type: 'string' }, layers: { type: 'string' }, 'layers-b': { type: 'string' }, n: { type: 'string' },
    batch: { type: 'string' }, eps: { type: 'string' }, steps: { type: 'string' }, alpha: { type: 'string' }, norm: { type: 'string' },
    out: { type: 'string' }, 'model-b': { type: 'string' },
  },
  async run(args) {
    const [pa, pb, ...extra] = args.positionals;
    if (!pa || !pb || extra.length) throw new UsageError('give exactly two checkpoints: robustlens cka A B --out DIR');
    const log = logger(flag(args, 'quiet'));
    const kind = str(args, 'inputs', 'clean', INPUT_NAMES);
    const n = int(args, 'n', 1000, 4);
    const batch = int(args, 'batch', 256, 4);
    const eps = num(args, 'eps', 0.1, (v) => v >= 0, '>= 0');
    const steps = int(args, 'steps', 10, 1);
    const alpha = num(args, 'alpha', (2.5 * eps) / steps, (v) => v > 0, '> 0');
    const norm = str(args, 'norm', 'linf', ['linf', 'l2'] as const);
    const seed = int(args, 'seed', 0);
    const out = str(args, 'out', 'out/cka');
    const loadData = testDataFrom(args);
    const modelA = modelOption(args);
    const modelB = modelOption(args, 'model-b') ?? modelA;
    const ca = await readCheckpointArg(pa, 'A');
    const cb = await readCheckpointArg(pb, 'B');
    const data = await loadData(Math.min(classesOf(ca), classesOf(cb)));
    const set = data.test.take(n);
    if (set.length < batch) throw new InputError(`--batch ${batch}: the ${set.length} test images make no full batch; lower --batch (>= 4) or raise --n`);
    const archA = chooseArch(ca, modelA, set.shape);
    const archB = chooseArch(cb, modelB, set.shape, { flag: optional(args, 'model-b') === undefined ? '--model' : '--model-b' });
    await init();
    const a = buildFromCheckpoint(ca, archA);
    let b: Module | null = null;
    try {
      b = buildFromCheckpoint(cb, archB);
      const layers = chooseLayers(a, set, optional(args, 'layers'), '--layers');
      const layersB = chooseLayers(b, set, optional(args, 'layers-b') ?? optional(args, 'layers'), '--layers-b');
      const source = INPUT_SOURCES[kind]!({ a, b, eps, steps, alpha, norm, seed });
      log(`cka of ${layers.length} × ${layersB.length} layers on ${set.batchCount(batch, true) * batch} images of ${data.name}; inputs: ${source.description}`);
      const m = await layerSimilarity(a, b, pairedBatches(set, batch, source, log), { layers, layersB });
      const report = reportOf(m, { pa, pb, archA: describeArch(archA), archB: describeArch(archB), kind, source, data: data.name, batch, eps, steps, alpha, norm, seed });
      report.rowLabels = m.rows.map((r) => labelOf(a, r));
      report.colLabels = m.cols.map((c) => labelOf(b!, c));
      const files = { json: join(out, 'cka.json'), svg: join(out, 'cka.svg'), html: join(out, 'cka.html') };
      const page = { title: `CKA: ${shortName(pa)} × ${shortName(pb)}`, about: aboutRows(report), rows: report.rowLabels, cols: report.colLabels, values: report.values };
      await writeTextAtomic(files.json, JSON.stringify(report, null, 1));
      await writeTextAtomic(files.svg, ckaSvg(page));
      await writeTextAtomic(files.html, ckaPage(page));
      console.log(JSON.stringify({ files, ...report }, null, 1));
      return 0;
    } finally {
      a.dispose();
      b?.dispose();
    }
  },
};

interface ReportContext {
  pa: string;
  pb: string;
  archA: string;
  archB: string;
  kind: string;
  source: InputSource;
  data: string;
  batch: number;
  eps: number;
  steps: number;
  alpha: number;
  norm: string;
  seed: number;
}

/** The JSON document: what was compared and the matrix (dead layers' values as null). */
function reportOf(m: CkaMatrix, c: ReportContext) {
  const attacked = c.kind !== 'clean';
  return {
    A: c.pa, B: c.pb, archA: c.archA, archB: c.archB,
    inputs: { kind: c.kind, description: c.source.description, ...(attacked ? { eps: c.eps, steps: c.steps, alpha: c.alpha, norm: c.norm, seed: c.seed } : {}) },
    data: c.data, examples: m.examples, batches: m.batches, batchSize: c.batch, estimator: m.estimator,
    rows: m.rows, cols: m.cols, rowLabels: [] as string[], colLabels: [] as string[],
    values: m.values.map((r) => r.map(nullIfNaN)), deadRows: m.deadRows, deadCols: m.deadCols,
  };
}

const aboutRows = (r: ReturnType<typeof reportOf>): [string, string][] => [
  ['A (rows)', `${r.A}: ${r.archA}`], ['B (columns)', `${r.B}: ${r.archB}`], ['inputs', `${r.inputs.kind}: ${r.inputs.description}`],
  ['data', `${r.examples} images of ${r.data}, ${r.batches} minibatches of ${r.batchSize}`], ['estimator', r.estimator],
];
