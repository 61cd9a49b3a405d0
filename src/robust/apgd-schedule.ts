/**
 * APGD's checkpoints (Croce & Hein 2020, §3.2): p₀ = 0, p₁ = 0.22 and
 * p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06), as fractions of the N iterations. In iteration
 * counts, the way the reference (`autopgd_base.py`) rounds them: the first interval is ⌊0.22·N⌋,
 * each later one is the previous minus ⌊0.03·N⌋ but at least ⌊0.06·N⌋, and all three counts are
 * at least 1. For N = 100 this is exactly 100·p_j: checks after 22, 41, 57, 70, 80, 87, 93, 99.
 */
export interface ApgdSchedule {
  /** Length of the first interval, ⌊0.22·N⌋ (at least 1). */
  first: number;
  /** How much each interval shrinks, ⌊0.03·N⌋ (at least 1). */
  shrink: number;
  /** The shortest interval, ⌊0.06·N⌋ (at least 1). */
  shortest: number;
}

export function apgdSchedule(steps: number): ApgdSchedule {
  return {
    first: Math.max(Math.floor(0.22 * steps), 1),
    shrink: Math.max(Math.floor(0.03 * steps), 1),
    shortest: Math.max(Math.floor(0.06 * steps), 1),
  };
}

/** The next interval after one of length k. */
export const nextInterval = (k: number, s: ApgdSchedule): number => Math.max(k - s.shrink, s.shortest);

/**
 * The iteration counts after which APGD checks its step size (1-based: 22 means "after the 22nd
 * step"), for N steps. A check falls only where a whole interval fits before the end.
 */
export function apgdCheckpoints(steps: number): number[] {
  const s = apgdSchedule(steps);
  const out: number[] = [];
  let k = s.first;
  let at = 0;
  while (at + k <= steps) {
    at += k;
    out.push(at);
    k = nextInterval(k, s);
  }
  return out;
}
