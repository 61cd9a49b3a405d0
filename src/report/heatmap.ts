/**
 * A CKA matrix as a standalone SVG heatmap: layer names on both axes, a colour-scale legend, and each
 * cell's value in a <title> tooltip. Dead layers (NaN) are drawn hatched grey and labelled as such.
 */
export interface HeatmapInput {
  rows: readonly string[];
  cols: readonly string[];
  values: readonly (readonly number[])[];
}

export interface HeatmapOptions {
  title?: string;
  rowLabel?: string;
  colLabel?: string;
  /** Colour range; default [0, 1] (CKA), widened to include negative values if any. */
  min?: number;
  max?: number;
  cell?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// Viridis, sampled at 9 stops.
const STOPS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

function hex(c: string): [number, number, number] {
  return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
}

/** Viridis colour at u ∈ [0, 1]. */
export function colour(u: number): string {
  const t = Math.min(1, Math.max(0, u)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(t));
  const f = t - i;
  const a = hex(STOPS[i]!);
  const b = hex(STOPS[i + 1]!);
  const mix = a.map((v, k) => Math.round(v + f * (b[k]! - v)));
  return `#${mix.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

export function heatmapSvg(m: HeatmapInput, opts: HeatmapOptions = {}): string {
  const cell = opts.cell ?? 28;
  const finite = m.values.flat().filter(Number.isFinite);
  const lo = opts.min ?? Math.min(0, ...finite);
  const hi = opts.max ?? Math.max(1, ...finite);
  const longest = (xs: readonly string[]): number => Math.max(1, ...xs.map((s) => s.length));
  const left = 20 + 6.5 * longest(m.rows) + (opts.rowLabel ? 18 : 0);
  const top = 30 + (opts.title ? 20 : 0);
  const gridW = cell * m.cols.length;
  const gridH = cell * m.rows.length;
  const bottom = 20 + 6.5 * longest(m.cols) + (opts.colLabel ? 18 : 0);
  const legendX = left + gridW + 24;
  // Wide enough for the title too (bold 14 px: about 8.5 px a character).
  const width = Math.ceil(Math.max(legendX + 70, left + 8.5 * (opts.title?.length ?? 0) + 10));
  const height = top + Math.max(gridH, 160) + bottom;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<defs><pattern id="dead" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ddd"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/></pattern>`);
  out.push(`<linearGradient id="scale" x1="0" y1="1" x2="0" y2="0">${STOPS.map((c, i) => `<stop offset="${(i / (STOPS.length - 1)).toFixed(3)}" stop-color="${c}"/>`).join('')}</linearGradient></defs>`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  if (opts.title) out.push(`<text x="${left}" y="18" font-size="14" font-weight="bold">${esc(opts.title)}</text>`);
  m.rows.forEach((r, i) => {
    out.push(`<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${esc(r)}</text>`);
    m.cols.forEach((c, j) => {
      const v = m.values[i]![j]!;
      const fill = Number.isFinite(v) ? colour((v - lo) / (hi - lo || 1)) : 'url(#dead)';
      const tip = Number.isFinite(v) ? v.toFixed(4) : 'dead layer (self-HSIC ≤ 0): undefined';
      out.push(`<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${fill}"><title>${esc(r)} × ${esc(c)}: ${tip}</title></rect>`);
    });
  });
  m.cols.forEach((c, j) => {
    const x = left + j * cell + cell / 2 + 4;
    const y = top + gridH + 6;
    out.push(`<text x="${x}" y="${y}" transform="rotate(90 ${x} ${y})">${esc(c)}</text>`);
  });
  if (opts.rowLabel) out.push(`<text x="12" y="${top + gridH / 2}" transform="rotate(-90 12 ${top + gridH / 2})" text-anchor="middle">${esc(opts.rowLabel)}</text>`);
  if (opts.colLabel) out.push(`<text x="${left + gridW / 2}" y="${height - 6}" text-anchor="middle">${esc(opts.colLabel)}</text>`);
  const lh = Math.max(gridH, 160);
  out.push(`<rect x="${legendX}" y="${top}" width="14" height="${lh}" fill="url(#scale)" stroke="#333" stroke-width="0.5"/>`);
  for (const [u, v] of [[0, lo], [0.5, (lo + hi) / 2], [1, hi]] as const) {
    out.push(`<text x="${legendX + 18}" y="${top + (1 - u) * lh + 4}">${v.toFixed(2)}</text>`);
  }
  out.push(`<text x="${legendX}" y="${top - 8}">CKA</text>`);
  out.push('</svg>');
  return out.join('\n');
}
