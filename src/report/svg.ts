/**
 * Small, dependency-free SVG plots for the report: seed-spread line charts, overlaid histograms,
 * bar charts and image grids. Each returns a standalone <svg> string; text is escaped; every mark carries a
 * <title> with its exact value so a reader can hover to see the number behind the picture.
 */

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
export const colour = (i: number): string => PALETTE[i % PALETTE.length]!;

const fmt = (v: number): string => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(4)).toString());

function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

interface Frame {
  w: number;
  h: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function axes(f: Frame, xlo: number, xhi: number, ylo: number, yhi: number, xlabel: string, ylabel: string, title: string): { sx: (v: number) => number; sy: (v: number) => number; svg: string } {
  const sx = (v: number) => f.left + ((v - xlo) / (xhi - xlo || 1)) * (f.w - f.left - f.right);
  const sy = (v: number) => f.h - f.bottom - ((v - ylo) / (yhi - ylo || 1)) * (f.h - f.top - f.bottom);
  let s = `<rect x="${f.left}" y="${f.top}" width="${f.w - f.left - f.right}" height="${f.h - f.top - f.bottom}" fill="none" stroke="#999"/>`;
  for (const t of ticks(xlo, xhi)) s += `<line x1="${sx(t)}" x2="${sx(t)}" y1="${f.h - f.bottom}" y2="${f.h - f.bottom + 4}" stroke="#666"/><text x="${sx(t)}" y="${f.h - f.bottom + 16}" text-anchor="middle">${fmt(t)}</text>`;
  for (const t of ticks(ylo, yhi)) s += `<line x1="${f.left - 4}" x2="${f.left}" y1="${sy(t)}" y2="${sy(t)}" stroke="#666"/><text x="${f.left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`;
  s += `<text x="${(f.left + f.w - f.right) / 2}" y="${f.h - 4}" text-anchor="middle">${esc(xlabel)}</text>`;
  s += `<text transform="translate(12 ${(f.top + f.h - f.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(ylabel)}</text>`;
  s += `<text x="${f.left}" y="${f.top - 8}" font-weight="bold">${esc(title)}</text>`;
  return { sx, sy, svg: s };
}

function legend(names: string[], x: number, y: number): string {
  return names
    .map((n, i) => `<rect x="${x}" y="${y + i * 16 - 9}" width="10" height="10" fill="${colour(i)}"/><text x="${x + 14}" y="${y + i * 16}">${esc(n)}</text>`)
    .join('');
}

const open = (w: number, h: number): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11">`;

/** Words joined into lines of at most `width` characters (a longer word gets a line of its own). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** Runs of consecutive indices where every given array is finite (a line or band breaks at a gap). */
function finiteRuns(n: number, ...arrays: (readonly number[])[]): number[][] {
  const runs: number[][] = [];
  let cur: number[] = [];
  for (let k = 0; k < n; k++) {
    if (arrays.every((a) => Number.isFinite(a[k]))) {
      cur.push(k);
    } else if (cur.length > 0) {
      runs.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) runs.push(cur);
  return runs;
}

/** One quantity measured per seed along x: each seed's values, and the mean with its interval at each x. */
export interface SpreadSeries {
  name: string;
  x: readonly number[];
  /** One row per seed, aligned with x; NaN where a seed has no value. */
  perSeed: readonly (readonly number[])[];
  mean: readonly number[];
  /** The interval of the mean at each x (NaN where it is undefined, e.g. with one seed). */
  lo: readonly number[];
  hi: readonly number[];
  dashed?: boolean;
}

/**
 * Seed spread: per series, a shaded band for the interval of the mean, one thin line per seed and a
 * thick line for the mean (each mean mark's tooltip gives the mean, its interval and the seed count).
 */
export function spreadChart(series: readonly SpreadSeries[], o: { title: string; xlabel: string; ylabel: string; width?: number; height?: number; yMin?: number; yMax?: number; interval?: string }): string {
  const f: Frame = { w: o.width ?? 460, h: o.height ?? 260, left: 50, right: 130, top: 26, bottom: 36 };
  const xs = series.flatMap((s) => s.x);
  const ys = series.flatMap((s) => [...s.perSeed.flat(), ...s.mean, ...s.lo, ...s.hi]).filter(Number.isFinite);
  const ylo = o.yMin ?? Math.min(...ys, 0);
  const yhi = o.yMax ?? Math.max(...ys, ylo + 1e-9);
  const a = axes(f, Math.min(...xs), Math.max(...xs), ylo, yhi, o.xlabel, o.ylabel, o.title);
  const pt = (x: number, y: number) => `${a.sx(x).toFixed(1)},${a.sy(y).toFixed(1)}`;
  let s = open(f.w, f.h) + a.svg;
  series.forEach((ser, i) => {
    const n = ser.x.length;
    for (const run of finiteRuns(n, ser.lo, ser.hi)) {
      const upper = run.map((k) => pt(ser.x[k]!, ser.hi[k]!));
      const lower = run.map((k) => pt(ser.x[k]!, ser.lo[k]!)).reverse();
      s += `<polygon points="${[...upper, ...lower].join(' ')}" fill="${colour(i)}" fill-opacity="0.18" stroke="none"/>`;
    }
    ser.perSeed.forEach((row, r) => {
      for (const run of finiteRuns(n, row)) {
        s += `<polyline points="${run.map((k) => pt(ser.x[k]!, row[k]!)).join(' ')}" fill="none" stroke="${colour(i)}" stroke-width="1" stroke-opacity="0.5"><title>${esc(ser.name)}, seed row ${r + 1}</title></polyline>`;
      }
    });
    for (const run of finiteRuns(n, ser.mean)) {
      s += `<polyline points="${run.map((k) => pt(ser.x[k]!, ser.mean[k]!)).join(' ')}" fill="none" stroke="${colour(i)}" stroke-width="2.5"${ser.dashed ? ' stroke-dasharray="5 3"' : ''}/>`;
      for (const k of run) {
        const band = Number.isFinite(ser.lo[k]!) ? ` [${fmt(ser.lo[k]!)}, ${fmt(ser.hi[k]!)}]` : ' (no interval)';
        s += `<circle cx="${a.sx(ser.x[k]!)}" cy="${a.sy(ser.mean[k]!)}" r="2.5" fill="${colour(i)}"><title>${esc(ser.name)}: x=${fmt(ser.x[k]!)}, mean ${fmt(ser.mean[k]!)}${band}, ${ser.perSeed.length} seeds</title></circle>`;
      }
    }
  });
  s += legend(series.map((x) => x.name), f.w - f.right + 10, f.top + 10);
  // The key, wrapped to the legend's width (about 24 characters of 9-px text).
  const key = ['thin: seeds; thick: mean', ...wrapWords(`band: ${o.interval ?? '95% interval'}`, 24)];
  key.forEach((line, k) => {
    s += `<text x="${f.w - f.right + 10}" y="${f.top + 18 + series.length * 16 + 12 * k}" font-size="9" fill="#555">${esc(line)}</text>`;
  });
  return `${s}</svg>`;
}

/** Overlaid histograms over shared bin edges (counts normalised to fractions). */
export function histogram(groups: readonly { name: string; values: readonly number[] }[], o: { title: string; xlabel: string; bins?: number; width?: number; height?: number }): string {
  const all = groups.flatMap((g) => g.values).filter(Number.isFinite);
  const f: Frame = { w: o.width ?? 460, h: o.height ?? 260, left: 50, right: 130, top: 26, bottom: 36 };
  if (all.length === 0) return `${open(f.w, 60)}<text x="${f.left}" y="20" font-weight="bold">${esc(o.title)}</text><text x="${f.left}" y="42">no finite values to plot</text></svg>`;
  const lo = Math.min(...all);
  const hi = Math.max(...all, lo + 1e-9);
  const nb = o.bins ?? 30;
  const width = (hi - lo) / nb;
  const fr = groups.map((g) => {
    const c = new Array<number>(nb).fill(0);
    for (const v of g.values) if (Number.isFinite(v)) c[Math.min(nb - 1, Math.floor((v - lo) / width))]!++;
    return c.map((k) => k / Math.max(1, g.values.length));
  });
  const a = axes(f, lo, hi, 0, Math.max(...fr.flat(), 1e-9), o.xlabel, 'fraction', o.title);
  let s = open(f.w, f.h) + a.svg;
  fr.forEach((c, i) => {
    c.forEach((v, b) => {
      const x0 = a.sx(lo + b * width);
      const x1 = a.sx(lo + (b + 1) * width);
      s += `<rect x="${x0}" y="${a.sy(v)}" width="${Math.max(0.5, x1 - x0)}" height="${a.sy(0) - a.sy(v)}" fill="${colour(i)}" fill-opacity="0.45"><title>${esc(groups[i]!.name)} [${fmt(lo + b * width)}, ${fmt(lo + (b + 1) * width)}): ${(v * 100).toFixed(1)}%</title></rect>`;
    });
  });
  s += legend(groups.map((g) => g.name), f.w - f.right + 10, f.top + 10);
  return `${s}</svg>`;
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(categories: readonly string[], series: readonly { name: string; values: readonly number[] }[], o: { title: string; ylabel: string; width?: number; height?: number; yMax?: number }): string {
  const f: Frame = { w: o.width ?? 460, h: o.height ?? 260, left: 50, right: 130, top: 26, bottom: 50 };
  const vals = series.flatMap((s) => s.values).filter(Number.isFinite);
  const yhi = o.yMax ?? Math.max(...vals, 1e-9);
  const ylo = Math.min(0, ...vals);
  const sy = (v: number) => f.h - f.bottom - ((v - ylo) / (yhi - ylo || 1)) * (f.h - f.top - f.bottom);
  let s = open(f.w, f.h) + `<text x="${f.left}" y="${f.top - 8}" font-weight="bold">${esc(o.title)}</text>`;
  s += `<line x1="${f.left}" x2="${f.w - f.right}" y1="${sy(0)}" y2="${sy(0)}" stroke="#999"/>`;
  for (const t of ticks(ylo, yhi)) s += `<text x="${f.left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text><line x1="${f.left}" x2="${f.w - f.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`;
  s += `<text transform="translate(12 ${(f.top + f.h - f.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(o.ylabel)}</text>`;
  const gw = (f.w - f.left - f.right) / Math.max(1, categories.length);
  const bw = (gw * 0.8) / Math.max(1, series.length);
  categories.forEach((c, k) => {
    series.forEach((ser, i) => {
      const v = ser.values[k] ?? NaN;
      if (!Number.isFinite(v)) return;
      const x = f.left + k * gw + gw * 0.1 + i * bw;
      s += `<rect x="${x}" y="${Math.min(sy(v), sy(0))}" width="${bw}" height="${Math.abs(sy(0) - sy(v))}" fill="${colour(i)}"><title>${esc(ser.name)} · ${esc(c)}: ${fmt(v)}</title></rect>`;
    });
    s += `<text x="${f.left + k * gw + gw / 2}" y="${f.h - f.bottom + 14}" text-anchor="middle">${esc(c)}</text>`;
  });
  s += legend(series.map((x) => x.name), f.w - f.right + 10, f.top + 10);
  return `${s}</svg>`;
}

/**
 * A grid of grey-scale images (values mapped from [lo, hi] to black..white, or a diverging
 * blue-white-red map for signed data such as filters), with optional captions.
 */
export function imageGrid(images: readonly { data: ArrayLike<number>; h: number; w: number; caption?: string }[], o: { title: string; cols?: number; scale?: number; diverging?: boolean }): string {
  const cols = o.cols ?? 8;
  const scale = o.scale ?? 3;
  const cell = Math.max(...images.map((im) => Math.max(im.h, im.w))) * scale;
  const pad = 6;
  const capH = images.some((im) => im.caption) ? 14 : 0;
  const rows = Math.ceil(images.length / cols);
  const W = cols * (cell + pad) + pad;
  const H = 22 + rows * (cell + pad + capH) + pad;
  let s = open(W, H) + `<text x="${pad}" y="14" font-weight="bold">${esc(o.title)}</text>`;
  images.forEach((im, n) => {
    const x0 = pad + (n % cols) * (cell + pad);
    const y0 = 22 + Math.floor(n / cols) * (cell + pad + capH);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < im.data.length; i++) {
      if (!Number.isFinite(im.data[i]!)) continue;
      lo = Math.min(lo, im.data[i]!);
      hi = Math.max(hi, im.data[i]!);
    }
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    for (let r = 0; r < im.h; r++) {
      for (let c = 0; c < im.w; c++) {
        const v = im.data[r * im.w + c]!;
        let fill: string;
        if (!Number.isFinite(v)) {
          fill = '#f0e0f0'; // a missing value: pale magenta, not a colour of the scale
        } else if (o.diverging) {
          const t = v / m;
          const a = Math.round(255 * (1 - Math.abs(t)));
          fill = t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
        } else {
          const g = Math.round(255 * ((v - lo) / (hi - lo || 1)));
          fill = `rgb(${g},${g},${g})`;
        }
        s += `<rect x="${x0 + c * scale}" y="${y0 + r * scale}" width="${scale}" height="${scale}" fill="${fill}"/>`;
      }
    }
    if (im.caption) s += `<text x="${x0}" y="${y0 + cell + 11}" font-size="9">${esc(im.caption)}</text>`;
  });
  return `${s}</svg>`;
}
