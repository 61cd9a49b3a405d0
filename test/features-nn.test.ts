// Feature capture through the real containers (Sequential runs its children inside tidy scopes):
// every tapped layer of cnn-small must come back readable, and layer × layer CKA must have a unit
// diagonal. A regression test for features disposed by the container's scope.
import { describe, expect, it } from 'vitest';
import * as rl from '../src/node.js';
import { captureFeatures, layerSimilarity } from '../src/analysis/index.js';

describe('feature capture from nn containers', () => {
  it('captures every layer of cnn-small, flattened per example', async () => {
    const model = rl.nn.cnnSmall({ seed: 3 });
    const x = rl.rand([6, 1, 28, 28], 4);
    const feats = captureFeatures(model, x);
    try {
      expect([...feats.keys()]).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(feats.get('0')!.shape).toEqual([6, 32 * 28 * 28]);
      expect(feats.get('9')!.shape).toEqual([6, 10]);
      for (const t of feats.values()) expect((await t.data()).length).toBe(t.size);
    } finally {
      for (const t of feats.values()) t.dispose();
      x.dispose();
      model.dispose();
    }
  });

  it('layer × layer CKA within cnn-small has a unit diagonal and bounded entries', async () => {
    const model = rl.nn.cnnSmall({ seed: 3 });
    const xs = [rl.rand([16, 1, 28, 28], 5), rl.rand([16, 1, 28, 28], 6)];
    try {
      const m = await layerSimilarity(model, null, xs, { layers: ['1', '4', '8', '9'] });
      m.values.forEach((row, i) => {
        expect(row[i]).toBeCloseTo(1, 4);
        for (const v of row) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-4);
      });
    } finally {
      xs.forEach((t) => t.dispose());
      model.dispose();
    }
  });
});
