/**
 * The self-contained HTML report of a run: summary tables and inline SVG charts (no scripts, no CDN, no external
 * fonts), so it opens anywhere and can be archived or attached as one file. Pure: EvalResult in, HTML out.
 *
 * Charts
 * - F1 and EM by question type (what/who/when/...) and by article (or document);
 * - answer-score histograms of correct vs wrong best spans (is the score separating them?);
 * - no-answer probability histograms of answerable vs unanswerable questions, with the run's threshold and the
 *   recommended one (only when the set has unanswerable questions);
 * - calibration: accuracy (exact match of the best span) per answer-score bin against the diagonal;
 * - latency distribution with p50 and p95;
 * - open mode: recall@k and where the misses were lost (retrieval vs reader).
 */
import type { EvalResult, GroupScore, QuestionRecord } from './result.js';
import { scorePrediction } from './squad-metrics.js';
import { histogram, percentile } from './stats.js';

const esc = (s: string) =>
  s.replace(/[&<>"']/gu, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmt = (v: number | null | undefined, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(d));
/** A probability threshold, exactly enough to reuse (6 significant digits at most). */
const thr = (v: number | null | undefined) => (v === null || v === undefined ? '–' : String(Number(v.toPrecision(6))));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : (100 * v).toFixed(1) + '%');

const COLORS = { f1: '#2f6db5', em: '#9db7d9', good: '#2e8b57', bad: '#c8553d', grid: '#e3e6ea', text: '#333', line: '#555' };

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

function bestSpanCorrect(r: QuestionRecord): boolean {
  return r.bestSpan !== '' && scorePrediction(r.answers, r.bestSpan).exact === 1;
}

/** The best candidate's document and its context with the candidate marked (open-mode misses). */
function missContext(r: QuestionRecord): string {
  if (r.answerText === undefined) return '<i>no candidate</i>';
  const ctx = r.answerContext ?? '';
  const at = ctx.indexOf(r.answerText);
  const marked = at < 0 ? esc(ctx) : `${esc(ctx.slice(0, at))}<mark>${esc(r.answerText)}</mark>${esc(ctx.slice(at + r.answerText.length))}`;
  return `<b>${esc(r.answerDocument ?? '')}</b>${r.answerFromOtherDocument ? ' <i>(not the document the question names)</i>' : ''}<br><small>${marked}</small>`;
}

function kv(rows: readonly [string, string][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>`;
}

export function renderReport(result: EvalResult): string {
  const o = result.official;
  const t = result.thresholdSweep;
  const qs = result.questions;
  const withSpan = qs.filter((r) => r.bestSpan !== '' && r.answerScore !== null);
  const correct = withSpan.filter(bestSpanCorrect);
  const wrong = withSpan.filter((r) => !bestSpanCorrect(r));
  const sections: string[] = [];

  const scoreRows: [string, string][] = [
    ['exact / F1 (all)', `<b>${fmt(o.exact)}</b> / <b>${fmt(o.f1)}</b> over ${o.total} questions`],
  ];
  if (o.HasAns_total) scoreRows.push(['HasAns exact / F1', `${fmt(o.HasAns_exact)} / ${fmt(o.HasAns_f1)} (${o.HasAns_total})`]);
  if (o.NoAns_total) scoreRows.push(['NoAns exact / F1', `${fmt(o.NoAns_exact)} / ${fmt(o.NoAns_f1)} (${o.NoAns_total})`]);
  scoreRows.push(
    ['official sweep on predictions', `best_exact ${fmt(o.best_exact)} at ${thr(o.best_exact_thresh)}, best_f1 ${fmt(o.best_f1)} at ${thr(o.best_f1_thresh)}`],
    [
      'sweep on best spans',
      `best_exact ${fmt(t.best_exact)} at ${thr(t.best_exact_thresh)}, best_f1 ${fmt(t.best_f1)} at ${thr(t.best_f1_thresh)}`,
    ],
    result.mode === 'open' && result.settings.minConfidence !== undefined && result.settings.minConfidence !== null
      ? ['answer decision', `minimum confidence ${thr(result.settings.minConfidence)} (${result.settings.calibrated ? 'calibrated' : 'uncalibrated'})${(o.NoAns_total ?? 0) > 0 ? `; best on this set <code>DOCQA_MIN_CONFIDENCE=${String(Number((1 - t.best_f1_thresh).toPrecision(4)))}</code>` : ' (no unanswerable questions here: nothing to recommend)'}`]
      : ['no-answer threshold', `${thr(t.threshold)} (${esc(result.settings.thresholdSource)})${(o.NoAns_total ?? 0) > 0 ? `; recommended <code>DOCQA_NO_ANSWER_THRESHOLD=${String(t.recommendedThreshold)}</code>${t.recommendedThreshold === 0 ? ' (on this set, answering nothing scores best)' : ''}` : ' (no unanswerable questions here: nothing to recommend)'}`],
    ...((result.warnings ?? []).map((w) => ['WARNING', `<b>${esc(w)}</b>`] as [string, string])),
  );
  const l = result.latency;
  scoreRows.push([
    'latency',
    `p50 ${fmt(l.p50Ms, 1)} ms, p95 ${fmt(l.p95Ms, 1)} ms, ${fmt(l.questionsPerSecond, 2)} questions/s (concurrency ${l.concurrency})` +
      (l.stages ? `; retrieve p50 ${fmt(l.stages.retrieve.p50Ms, 1)} ms, read p50 ${fmt(l.stages.read.p50Ms, 1)} ms` : ''),
  ]);
  if (result.retrieval) {
    const r = result.retrieval;
    scoreRows.push([
      'retrieval',
      Object.entries(r.recallAtK)
        .map(([k, v]) => `recall@${k} ${pct(v)}`)
        .join(', ') + `, MRR ${fmt(r.mrr, 3)} (${r.evaluated} answerable questions)` + (r.documentRecall !== null ? `, document recall ${pct(r.documentRecall)}` : ''),
    ]);
  }
  sections.push(`<section><h2>Scores</h2>${kv(scoreRows)}</section>`);

  const runRows: [string, string][] = [
    ['run', `<code>${esc(result.id)}</code> (${esc(result.mode)} mode), ${esc(result.createdAt)}, ${fmt(result.durationSeconds, 1)} s`],
    ['model', `${esc(result.model.name)} ${esc(result.model.version)} — ${esc(result.model.file)} sha256 <code>${esc((result.model.sha256 ?? '').slice(0, 16))}…</code>`],
    ['dataset', `${esc(result.dataset.name)} (${esc(result.dataset.format)}${result.dataset.version ? ' ' + esc(result.dataset.version) : ''}), ${esc(result.dataset.sample)}: ${result.dataset.questions} of ${result.dataset.totalQuestions} questions; sha256 <code>${esc(result.dataset.sha256.slice(0, 16))}…</code>`],
    ['settings', esc(`store ${result.settings.store ?? '-'}, top-k ${result.settings.topK ?? '-'}, ` +
          (result.settings.ranking ? `ranking ${result.settings.ranking.ranking} + ${result.settings.ranking.retrieverWeight} x BM25, ` : '') + Object.entries(result.settings.read).map(([k, v]) => `${k} ${v}`).join(', '))],
  ];
  if (result.ingest) runRows.push(['ingested', `${result.ingest.documents} documents, ${result.ingest.passages} passages in ${fmt(result.ingest.seconds, 1)} s${result.ingest.failed ? `, ${result.ingest.failed} failed` : ''}`]);
  sections.push(`<section><h2>Run</h2>${kv(runRows)}</section>`);

  if (result.attribution && result.retrieval) {
    const a = result.attribution;
    const k = a.readerMissKinds;
    sections.push(
      `<section><h2>Where questions were lost</h2><p>A miss is a question with exact match 0. A retrieval miss: no retrieved passage contained a gold answer. Otherwise a reader miss: wrong span, partial span, answer withheld (no-answer chosen), or an answer to an unanswerable question.</p>` +
        stackedBar(
          [
            { label: 'correct', value: a.correct, color: COLORS.good },
            { label: 'retrieval miss', value: a.retrievalMisses, color: '#b08d2f' },
            { label: 'reader: wrong', value: k.wrong, color: COLORS.bad },
            { label: 'reader: partial', value: k.partial, color: '#e08e6d' },
            { label: 'reader: withheld', value: k.withheld, color: '#8a6fb0' },
            { label: 'reader: answered unanswerable', value: k['answered-unanswerable'], color: '#666' },
          ],
          'Outcome of every question',
        ) +
        barChart(
          Object.entries(result.retrieval.recallAtK).map(([kk, v]) => ({ key: `recall@${kk}`, questions: result.retrieval!.evaluated, exact: 100 * (v ?? 0), f1: 100 * (v ?? 0) })),
          'Retrieval: share of answerable questions with a gold answer in the top k passages',
          { single: 'recall' },
        ) +
        `</section>`,
    );
  }

  sections.push(
    `<section><h2>Scores by question type and by ${result.dataset.format === 'squad' ? 'article' : 'document'}</h2>` +
      barChart(result.byType, 'F1 and exact match by question type') +
      barChart(result.byArticle, `F1 and exact match by ${result.dataset.format === 'squad' ? 'article' : 'document'}`) +
      `</section>`,
  );

  const hasUnanswerable = (o.NoAns_total ?? 0) > 0;
  const minConfidence = result.mode === 'open' ? (result.settings.minConfidence ?? null) : null;
  const markers =
    minConfidence !== null
      ? [{ at: 1 - minConfidence, label: `minimum confidence ${thr(minConfidence)}` }]
      : [
          { at: t.threshold, label: `threshold ${thr(t.threshold)}` },
          ...(hasUnanswerable && Math.abs(t.recommendedThreshold - t.threshold) > 1e-9
            ? [{ at: t.recommendedThreshold, label: `recommended ${fmt(t.recommendedThreshold, 3)}` }]
            : []),
        ];
  let scores =
    `<section><h2>Score distributions</h2><p>Answer score of the best span (p(start)·p(end)), split by whether that span is an exact match. A useful score puts the correct answers to the right.</p>` +
    histogramChart(
      [
        { name: 'correct best span', values: correct.map((r) => r.answerScore!), color: COLORS.good },
        { name: 'wrong best span', values: wrong.map((r) => r.answerScore!), color: COLORS.bad },
      ],
      { title: 'Answer score: correct vs wrong', xLabel: 'answer score', min: 0, max: 1, bins: 20 },
    );
  // reader mode: the reader's no-answer probability spans decades (1e-6 .. 1), so its axis is log10; open mode:
  // 1 - the best answer's confidence, on a linear axis
  const logScale = result.mode === 'reader';
  const naX = (p: number) => (logScale ? Math.log10(Math.max(p, 1e-6)) : p);
  const naAxis = { min: logScale ? -6 : 0, max: logScale ? 0 : 1, bins: logScale ? 24 : 20 };
  const naName = logScale ? 'log10 of the no-answer probability' : '1 - confidence of the best answer';
  const naMarkers = markers.map((m) => ({ ...m, at: naX(m.at) }));
  if (o.NoAns_total) {
    scores += histogramChart(
      [
        { name: 'answerable', values: qs.filter((r) => r.hasAnswer).map((r) => naX(r.noAnswerProb)), color: COLORS.f1 },
        { name: 'unanswerable', values: qs.filter((r) => !r.hasAnswer).map((r) => naX(r.noAnswerProb)), color: '#b08d2f' },
      ],
      { title: `No answer: answerable vs unanswerable (${naName})`, xLabel: naName, ...naAxis, markers: naMarkers },
    );
  } else {
    scores += histogramChart([{ name: 'all questions', values: qs.map((r) => naX(r.noAnswerProb)), color: COLORS.f1 }], {
      title: `No answer (${naName}; every question here has an answer)`,
      xLabel: naName,
      ...naAxis,
      markers: naMarkers,
    });
  }
  sections.push(scores + '</section>');

  const answered = qs.filter((r) => r.prediction !== '' && typeof r.confidence === 'number');
  if (result.mode === 'open' && answered.length > 0) {
    const rel = calibrationBins(answered.map((r) => ({ score: r.confidence!, correct: r.f1 >= 0.5 })));
    const ece = rel.reduce((s, b) => s + (b.count * Math.abs(b.accuracy - b.meanScore)) / answered.length, 0);
    sections.push(
      `<section class="row"><div><h2>Reliability of confidence</h2><p>Of the ${answered.length} questions docqa answered: the share whose answer is correct (F1 ≥ 0.5) per confidence bin (circle area: answers in the bin). On the dashed diagonal, confidence 0.7 means right 70% of the time. Expected calibration error ${fmt(ece, 3)}${result.settings.calibrated ? '' : ' (the model has no calibrator: confidence is uncalibrated)'}.</p></div>` +
        calibrationChart(rel, 'Confidence vs share correct', { xLabel: 'confidence (mean of bin)', yLabel: 'share correct (F1 ≥ 0.5)' }) +
        `</section>`,
    );
  } else {
    const cal = calibrationBins(withSpan.map((r) => ({ score: r.answerScore!, correct: bestSpanCorrect(r) })));
    sections.push(
      `<section class="row"><div><h2>Calibration</h2><p>Exact-match rate of the best span per answer-score bin (circle area: answers in the bin). On the dashed diagonal a score of 0.7 means right 70% of the time.</p></div>` +
        calibrationChart(cal, 'Answer score vs accuracy') +
        `</section>`,
    );
  }

  const lat = qs.map((r) => r.latencyMs);
  const latMax = Math.max(1, percentile(lat, 99) * 1.1);
  sections.push(
    `<section><h2>Latency</h2>` +
      histogramChart([{ name: 'questions', values: lat, color: COLORS.f1 }], {
        title: `Latency per question (${result.mode === 'open' ? 'retrieve + read' : 'read'}); slowest 1% in the last bin`,
        xLabel: 'milliseconds',
        min: 0,
        max: latMax,
        bins: 30,
        markers: [
          { at: l.p50Ms, label: `p50 ${fmt(l.p50Ms, 0)} ms` },
          { at: l.p95Ms, label: `p95 ${fmt(l.p95Ms, 0)} ms` },
        ],
      }) +
      `</section>`,
  );

  const misses = qs.filter((r) => r.exact === 0).slice(0, 40);
  if (misses.length > 0) {
    sections.push(
      `<section><h2>Some misses</h2><table class="grid"><tr><th>id</th><th>question</th><th>gold</th><th>prediction</th><th>F1</th>${result.mode === 'open' ? '<th>confidence</th><th>best candidate: document and context</th><th>lost by</th>' : '<th>p(no answer)</th>'}</tr>` +
        misses
          .map(
            (r) =>
              `<tr><td><code>${esc(r.id)}</code></td><td>${esc(r.question)}</td><td>${r.answers.length ? esc([...new Set(r.answers)].slice(0, 3).join(' | ')) : '<i>no answer</i>'}</td><td>${r.prediction ? esc(r.prediction) : '<i>no answer</i>'}</td><td>${fmt(r.f1)}</td>` +
              (result.mode === 'open'
                ? `<td>${typeof r.confidence === 'number' ? fmt(r.confidence, 2) : '-'}</td><td>${missContext(r)}</td><td>${esc(r.outcome === 'retrieval-miss' ? 'retrieval' : `reader (${r.readerMiss ?? ''})`)}</td>`
                : `<td>${fmt(r.noAnswerProb, 3)}</td>`) +
              `</tr>`,
          )
          .join('') +
        `</table><p>The first ${misses.length} misses in dataset order; all of them are in result.json.</p></section>`,
    );
  }

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>docqa eval ${esc(result.id)}</title>
<style>
body{font-family:system-ui,sans-serif;color:#222;margin:24px auto;max-width:980px;padding:0 16px;line-height:1.4}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
p{margin:6px 0 10px;color:#444;font-size:13px}.sub{color:#666;font-size:13px}
table{border-collapse:collapse;font-size:13px}.kv th{text-align:left;padding:3px 14px 3px 0;color:#555;font-weight:500;vertical-align:top;white-space:nowrap}
.kv td{padding:3px 0}.grid td,.grid th{border:1px solid #e3e6ea;padding:3px 6px;text-align:left;vertical-align:top}.grid th{background:#f4f6f8}
code{font-size:12px;background:#f4f6f8;padding:1px 4px;border-radius:3px}svg{display:block;margin:10px 0}
.row{display:flex;gap:24px;align-items:flex-start}.row>div{flex:1}
</style></head><body>
<h1>docqa evaluation — ${esc(result.mode)} mode</h1>
<div class="sub">${esc(result.model.name)} ${esc(result.model.version)} on ${esc(result.dataset.name)} (${esc(result.dataset.sample)}, ${result.dataset.questions} questions) · EM ${fmt(o.exact)} · F1 ${fmt(o.f1)}</div>
${sections.join('\n')}
</body></html>
`;
}
