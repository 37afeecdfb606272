/**
 * The report's charts: inline SVG strings (no scripts, no external fonts) and the small formatting helpers they
 * share with the page. Pure.
 *
 * - barChart: F1 and EM (or one value) per group, horizontal bars;
 * - histogramChart: overlaid histograms (share per bin) with marker lines;
 * - calibrationBins + calibrationChart: a reliability diagram (rate per score bin against the diagonal);
 * - stackedBar: one bar of labelled parts with a wrapped legend.
 */
import type { GroupScore } from './result.js';
import { histogram } from './stats.js';

export const esc = (s: string) =>
  s.replace(/[&<>"']/gu, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
export const fmt = (v: number | null | undefined, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(d));
/** A probability threshold, exactly enough to reuse (6 significant digits at most). */
export const thr = (v: number | null | undefined) => (v === null || v === undefined ? '–' : String(Number(v.toPrecision(6))));
export const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : (100 * v).toFixed(1) + '%');

export const COLORS = { f1: '#2f6db5', em: '#9db7d9', good: '#2e8b57', bad: '#c8553d', grid: '#e3e6ea', text: '#333', line: '#555' };

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function svgOpen(f: Frame, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${esc(label)}" font-family="system-ui, sans-serif" font-size="11">`;
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" fill="${COLORS.text}" ${attrs}>${esc(s)}</text>`;
}

/**
 * Horizontal grouped bars (F1 and EM, 0..100) with one row per group; with `single`, one bar per group (its f1
 * value) and no legend.
 */
export function barChart(groups: readonly GroupScore[], title: string, options: { single?: string } = {}): string {
  const rowH = 22;
  const shown = (g: GroupScore) => `${g.key.length > 30 ? g.key.slice(0, 29) + '…' : g.key} (${g.questions})`;
  const labelW = 14 + 6.3 * Math.max(4, ...groups.map((g) => shown(g).length));
  const top = options.single ? 36 : 48;
  const f: Frame = { width: 720, height: top + 8 + rowH * groups.length + 26, left: labelW, right: 60, top, bottom: 26 };
  const plotW = f.width - f.left - f.right;
  const x = (v: number) => f.left + (plotW * Math.max(0, Math.min(100, v))) / 100;
  const parts = [svgOpen(f, title), text(8, 18, title, 'font-weight="600" font-size="13"')];
  if (!options.single) {
    parts.push(
      `<rect x="8" y="26" width="10" height="10" fill="${COLORS.f1}"/>`,
      text(22, 35, 'F1'),
      `<rect x="50" y="26" width="10" height="10" fill="${COLORS.em}"/>`,
      text(64, 35, 'exact match'),
    );
  }
  for (let t = 0; t <= 100; t += 20) {
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${f.top - 4}" y2="${f.height - f.bottom}" stroke="${COLORS.grid}"/>`);
    parts.push(text(x(t), f.height - f.bottom + 14, String(t), 'text-anchor="middle"'));
  }
  groups.forEach((g, i) => {
    const y = f.top + i * rowH;
    parts.push(text(f.left - 6, y + 13, shown(g), 'text-anchor="end"'));
    if (options.single) {
      parts.push(`<rect x="${f.left}" y="${y + 3}" width="${(x(g.f1) - f.left).toFixed(1)}" height="14" fill="${COLORS.f1}"><title>${esc(g.key)}: ${esc(options.single)} ${fmt(g.f1)}</title></rect>`);
      parts.push(text(x(g.f1) + 4, y + 14, fmt(g.f1, 1), 'font-size="10"'));
      return;
    }
    parts.push(`<rect x="${f.left}" y="${y + 2}" width="${(x(g.f1) - f.left).toFixed(1)}" height="9" fill="${COLORS.f1}"><title>${esc(g.key)}: F1 ${fmt(g.f1)}</title></rect>`);
    parts.push(`<rect x="${f.left}" y="${y + 11}" width="${(x(g.exact) - f.left).toFixed(1)}" height="7" fill="${COLORS.em}"><title>${esc(g.key)}: EM ${fmt(g.exact)}</title></rect>`);
    parts.push(text(x(g.f1) + 4, y + 11, fmt(g.f1, 1), 'font-size="10"'));
  });
  parts.push('</svg>');
  return parts.join('');
}

interface Series {
  name: string;
  values: readonly number[];
  color: string;
}

/** Overlaid histograms (share of each series per bin, so series of different sizes compare) with marker lines. */
export function histogramChart(
  series: readonly Series[],
  options: { title: string; xLabel: string; min: number; max: number; bins: number; markers?: { at: number; label: string }[] },
): string {
  const f: Frame = { width: 720, height: 260, left: 48, right: 16, top: 40, bottom: 40 };
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const hs = series.map((s) => ({ s, h: histogram(s.values, options.bins, options.min, options.max) }));
  const shares = hs.map(({ s, h }) => h.counts.map((c) => (s.values.length ? c / s.values.length : 0)));
  const top = Math.max(0.05, ...shares.flat());
  const x = (v: number) => f.left + (plotW * (v - options.min)) / (options.max - options.min || 1);
  const y = (v: number) => f.top + plotH - (plotH * v) / top;
  const parts = [svgOpen(f, options.title), text(8, 18, options.title, 'font-weight="600" font-size="13"')];
  let lx = f.left;
  for (const { s } of hs) {
    parts.push(`<rect x="${lx}" y="24" width="10" height="10" fill="${s.color}" fill-opacity="0.6"/>`, text(lx + 14, 33, `${s.name} (${s.values.length})`));
    lx += 30 + 6.5 * (s.name.length + String(s.values.length).length + 3);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${y(v)}" y2="${y(v)}" stroke="${COLORS.grid}"/>`);
    parts.push(text(f.left - 4, y(v) + 4, `${Math.round(v * 100)}%`, 'text-anchor="end"'));
  }
  const binW = plotW / options.bins;
  hs.forEach(({ s, h }, k) => {
    h.counts.forEach((c, i) => {
      const share = shares[k]![i]!;
      if (share === 0) return;
      const bx = f.left + i * binW + (binW * k) / hs.length + 1;
      parts.push(
        `<rect x="${bx.toFixed(1)}" y="${y(share).toFixed(1)}" width="${Math.max(1, binW / hs.length - 1).toFixed(1)}" height="${(f.top + plotH - y(share)).toFixed(1)}" fill="${s.color}" fill-opacity="0.75"><title>${esc(s.name)} ${fmt(h.edges[i]!, 3)}–${fmt(h.edges[i + 1]!, 3)}: ${c}</title></rect>`,
      );
    });
  });
  for (let i = 0; i <= 5; i++) {
    const v = options.min + ((options.max - options.min) * i) / 5;
    parts.push(text(x(v), f.height - f.bottom + 14, options.max - options.min >= 20 ? v.toFixed(0) : v.toFixed(1), 'text-anchor="middle"'));
  }
  parts.push(text(f.left + plotW / 2, f.height - 6, options.xLabel, 'text-anchor="middle"'));
  (options.markers ?? []).forEach((m, i) => {
    if (!Number.isFinite(m.at)) return;
    const mx = x(Math.max(options.min, Math.min(options.max, m.at)));
    parts.push(`<line x1="${mx}" x2="${mx}" y1="${f.top - 2}" y2="${f.top + plotH}" stroke="${COLORS.line}" stroke-dasharray="4 3"/>`);
    const rightHalf = mx > f.left + plotW / 2;
    parts.push(
      `<text x="${(rightHalf ? mx - 3 : mx + 3).toFixed(1)}" y="${f.top + 8 + 13 * i}" fill="${COLORS.text}" font-size="10" text-anchor="${rightHalf ? 'end' : 'start'}" paint-order="stroke" stroke="#fff" stroke-width="3">${esc(m.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface CalibrationBin {
  lo: number;
  hi: number;
  count: number;
  meanScore: number;
  accuracy: number;
}

/** Equal-width score bins with their mean score and the share of correct items. */
export function calibrationBins(items: readonly { score: number; correct: boolean }[], bins = 10): CalibrationBin[] {
  const out: CalibrationBin[] = [];
  for (let i = 0; i < bins; i++) {
    const lo = i / bins;
    const hi = (i + 1) / bins;
    const inBin = items.filter((it) => (it.score >= lo && it.score < hi) || (i === bins - 1 && it.score === 1));
    if (inBin.length === 0) continue;
    out.push({
      lo,
      hi,
      count: inBin.length,
      meanScore: inBin.reduce((s, it) => s + it.score, 0) / inBin.length,
      accuracy: inBin.filter((it) => it.correct).length / inBin.length,
    });
  }
  return out;
}

export function calibrationChart(
  bins: readonly CalibrationBin[],
  title: string,
  axes: { xLabel: string; yLabel: string } = { xLabel: 'answer score (mean of bin)', yLabel: 'exact match rate' },
): string {
  const f: Frame = { width: 420, height: 380, left: 52, right: 20, top: 36, bottom: 48 };
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const x = (v: number) => f.left + plotW * v;
  const y = (v: number) => f.top + plotH * (1 - v);
  const parts = [svgOpen(f, title), text(8, 18, title, 'font-weight="600" font-size="13"')];
  for (let i = 0; i <= 5; i++) {
    const v = i / 5;
    parts.push(`<line x1="${x(0)}" x2="${x(1)}" y1="${y(v)}" y2="${y(v)}" stroke="${COLORS.grid}"/>`);
    parts.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${y(0)}" y2="${y(1)}" stroke="${COLORS.grid}"/>`);
    parts.push(text(f.left - 4, y(v) + 4, v.toFixed(1), 'text-anchor="end"'));
    parts.push(text(x(v), f.height - f.bottom + 14, v.toFixed(1), 'text-anchor="middle"'));
  }
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#999" stroke-dasharray="5 4"/>`);
  parts.push(text(f.left + plotW / 2, f.height - 14, axes.xLabel, 'text-anchor="middle"'));
  parts.push(text(14, f.top + plotH / 2, axes.yLabel, `text-anchor="middle" transform="rotate(-90 14 ${f.top + plotH / 2})"`));
  const total = bins.reduce((s, b) => s + b.count, 0) || 1;
  const pts = bins.map((b) => `${x(b.meanScore).toFixed(1)},${y(b.accuracy).toFixed(1)}`);
  if (pts.length > 1) parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${COLORS.f1}" stroke-width="2"/>`);
  for (const b of bins) {
    const r = 3 + 9 * Math.sqrt(b.count / total);
    parts.push(
      `<circle cx="${x(b.meanScore).toFixed(1)}" cy="${y(b.accuracy).toFixed(1)}" r="${r.toFixed(1)}" fill="${COLORS.f1}" fill-opacity="0.6"><title>score ${fmt(b.lo, 1)}–${fmt(b.hi, 1)}: ${b.count} answers, exact ${pct(b.accuracy)}</title></circle>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** One horizontal stacked bar of labelled parts (e.g. correct / retrieval miss / reader miss), legend wrapped. */
export function stackedBar(partsIn: readonly { label: string; value: number; color: string }[], title: string): string {
  const total = partsIn.reduce((s, p) => s + p.value, 0) || 1;
  const legend = partsIn.map((p) => ({ ...p, text: `${p.label}: ${p.value} (${((100 * p.value) / total).toFixed(1)}%)` }));
  const width = 720;
  const positions: { x: number; row: number }[] = [];
  let lx = 8;
  let row = 0;
  for (const l of legend) {
    const w = 24 + 6.1 * l.text.length;
    if (lx + w > width - 8 && lx > 8) {
      row++;
      lx = 8;
    }
    positions.push({ x: lx, row });
    lx += w;
  }
  const f: Frame = { width, height: 30 + 26 + 10 + 16 * (row + 1) + 6, left: 8, right: 8, top: 30, bottom: 0 };
  const plotW = f.width - f.left - f.right;
  const parts = [svgOpen(f, title), text(8, 18, title, 'font-weight="600" font-size="13"')];
  let x0 = f.left;
  for (const p of partsIn) {
    const w = (plotW * p.value) / total;
    if (w > 0) {
      parts.push(`<rect x="${x0.toFixed(1)}" y="${f.top}" width="${w.toFixed(1)}" height="26" fill="${p.color}"><title>${esc(p.label)}: ${p.value}</title></rect>`);
      const label = `${p.label} ${p.value}`;
      if (w > 10 + 6.2 * label.length) parts.push(`<text x="${(x0 + 5).toFixed(1)}" y="${f.top + 17}" fill="#fff">${esc(label)}</text>`);
    }
    x0 += w;
  }
  legend.forEach((l, i) => {
    const { x, row: r } = positions[i]!;
    const y = f.top + 36 + 16 * r;
    parts.push(`<rect x="${x}" y="${y}" width="10" height="10" fill="${l.color}"/>`, text(x + 14, y + 9, l.text));
  });
  parts.push('</svg>');
  return parts.join('');
}
