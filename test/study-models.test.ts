// The study's training set-up (src/study/models.ts), checked without training anything.
import { describe, expect, it } from 'vitest';
import { studyConfig } from '../src/study/config.js';
import { epochEvalAttack } from '../src/study/models.js';

describe('study models', () => {
  it('evaluate each epoch in the recipe\'s own norm and ε (issue 16: it was always L∞)', () => {
    const cfg = studyConfig({ quick: true });
    const l2 = { eps: 0.5, steps: 2, norm: 'l2' as const };
    expect(epochEvalAttack({ kind: 'pgd-at', attack: l2 }, cfg, 0)).toMatchObject({ eps: 0.5, norm: 'l2' });
    expect(epochEvalAttack({ kind: 'trades', beta: 6, attack: l2 }, cfg, 0)).toMatchObject({ eps: 0.5, norm: 'l2' });
    expect(epochEvalAttack({ kind: 'pgd-at', attack: { eps: 0.1, steps: 2 } }, cfg, 0)).toMatchObject({ eps: 0.1, norm: undefined }); // L∞, pgd's default
    const std = epochEvalAttack({ kind: 'standard' }, cfg, 3);
    expect(std).toMatchObject({ eps: cfg.eps, norm: undefined, seed: 20 });
    expect(std.alpha).toBeCloseTo((2.5 * cfg.eps) / std.steps, 12);
  });
});
