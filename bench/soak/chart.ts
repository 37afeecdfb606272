/**
 * The soak's plot: one panel per figure (RSS, open fds, event-loop lag p99, 4xx/5xx so far), one line per store,
 * drawn as SVG and rendered to PNG by the system Chromium through playwright-core (as scripts/screenshots does).
 */
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import type { Sample } from './summary.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const W = 900;
const PANEL_H = 170;
const M = { left: 70, right: 20, top: 28, bottom: 24 };

interface Panel {
  title: string;
  value: (s: Sample) => number;
}

const PANELS: Panel[] = [
  { title: 'RSS of the server process (MB)', value: (s) => s.rssMb },
  { title: 'V8 heap used (MB)', value: (s) => s.heapUsedMb },
  { title: 'open file descriptors', value: (s) => s.fds },
  { title: 'event-loop lag p99 over each sample interval (ms)', value: (s) => s.lagP99Ms },
  { title: 'requests so far (the soak\'s, scrapes not counted)', value: (s) => s.requests },
  { title: 'error replies so far (4xx + 5xx + no reply); 5xx alone dashed', value: (s) => s.s4xx + s.s5xx + s.noReply },
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A "nice" upper bound and tick step for [0, max]. */
function ticks(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return { top: Math.ceil(max / step) * step, step };
}

export function svgChart(byStore: Map<string, Sample[]>, title: string): string {
  const stores = [...byStore.keys()];
  const all = [...byStore.values()].flat();
  const tMax = Math.max(60, ...all.map((s) => s.t)) / 60;
  const H = M.top + 24 + PANELS.length * (PANEL_H + M.bottom + M.top);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${M.left}" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  stores.forEach((store, i) =>
    parts.push(
      `<line x1="${W - 260 + i * 120}" y1="15" x2="${W - 235 + i * 120}" y2="15" stroke="${COLORS[i % COLORS.length]}" stroke-width="3"/>`,
      `<text x="${W - 230 + i * 120}" y="19">${esc(store)}</text>`,
    ),
  );
  const pw = W - M.left - M.right;
  PANELS.forEach((panel, p) => {
    const y0 = 24 + M.top + p * (PANEL_H + M.bottom + M.top);
    const values = all.map(panel.value).filter(Number.isFinite);
    const { top, step } = ticks(Math.max(...values, 0) * 1.05);
    const x = (t: number) => M.left + (t / 60 / tMax) * pw;
    const y = (v: number) => y0 + PANEL_H - (v / top) * PANEL_H;
    parts.push(`<text x="${M.left}" y="${y0 - 8}" font-weight="bold">${esc(panel.title)}</text>`);
    for (let v = 0; v <= top + step / 2; v += step) {
      parts.push(
        `<line x1="${M.left}" y1="${y(v)}" x2="${W - M.right}" y2="${y(v)}" stroke="#ddd"/>`,
        `<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${Number(v.toPrecision(6))}</text>`,
      );
    }
    const tStep = ticks(tMax).step;
    for (let m = 0; m <= tMax + 1e-9; m += tStep) {
      parts.push(`<text x="${x(m * 60)}" y="${y0 + PANEL_H + 16}" text-anchor="middle">${Number(m.toPrecision(6))}${m === 0 ? ' min' : ''}</text>`);
    }
    parts.push(`<rect x="${M.left}" y="${y0}" width="${pw}" height="${PANEL_H}" fill="none" stroke="#888"/>`);
    stores.forEach((store, i) => {
      const line = (value: (s: Sample) => number, dash: string) => {
        const pts = byStore
          .get(store)!
          .filter((s) => Number.isFinite(value(s)))
          .map((s) => `${x(s.t).toFixed(1)},${y(value(s)).toFixed(1)}`)
          .join(' ');
        parts.push(`<polyline points="${pts}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" ${dash}/>`);
      };
      line(panel.value, '');
      if (p === PANELS.length - 1) line((s) => s.s5xx, 'stroke-dasharray="6 4"');
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Renders an SVG to a PNG file with Chromium (DOCQA_CHROMIUM, else /usr/bin/chromium or chromium-browser). */
export async function renderPng(svg: string, file: string): Promise<void> {
  const chrome = process.env.DOCQA_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => fs.existsSync(f));
  if (!chrome) throw new Error('no Chromium for the plot: apt-get install chromium, or set DOCQA_CHROMIUM');
  const browser = await chromium.launch({ executablePath: chrome, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
    await page.locator('svg').screenshot({ path: file });
  } finally {
    await browser.close();
  }
}
