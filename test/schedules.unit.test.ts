// Learning-rate schedules: plain arithmetic on epochs, GPU-free.
import { describe, expect, it } from 'vitest';
import { cosine, multiStep, piecewise, stepDecay, withWarmup } from '../src/optim/schedules.js';

describe('schedules', () => {
  it('step, multistep, piecewise, cosine, warm-up', () => {
    expect(stepDecay(0.1, 30)(29)).toBeCloseTo(0.1);
    expect(stepDecay(0.1, 30)(30)).toBeCloseTo(0.01);
    const ms = multiStep(0.1, [100, 150]);
    expect([ms(99), ms(100), ms(150)].map((v) => +v.toFixed(6))).toEqual([0.1, 0.01, 0.001]);
    const pw = piecewise([[0, 0], [15, 0.2], [30, 0]]);
    expect([pw(-1), pw(7.5), pw(15), pw(22.5), pw(40)].map((v) => +v.toFixed(6))).toEqual([0, 0.1, 0.2, 0.1, 0]);
    const cs = cosine(0.1, 10, 0.001);
    expect(cs(0)).toBeCloseTo(0.1);
    expect(cs(5)).toBeCloseTo(0.0505);
    expect(cs(10)).toBeCloseTo(0.001);
    const wu = withWarmup(cosine(0.1, 10), 2, { shift: true });
    expect(wu(0)).toBeCloseTo(0);
    expect(wu(1)).toBeCloseTo(0.05);
    expect(wu(2)).toBeCloseTo(0.1);
    expect(wu(7)).toBeCloseTo(0.05);
    expect(() => piecewise([[1, 0], [1, 1]])).toThrow(/increase/);
  });
});
