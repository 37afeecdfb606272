/**
 * The self-contained HTML report of a run: the page layout, its summary tables and its sections, with inline SVG
 * charts from charts.ts (no scripts, no CDN, no external fonts), so it opens anywhere and can be archived or
 * attached as one file. Pure: EvalResult in, HTML out.
 *
 * Sections
 * - F1 and EM by question type (what/who/when/...) and by article (or document);
 * - answer-score histograms of correct vs wrong best spans (is the score separating them?);
 * - no-answer probability histograms of answerable vs unanswerable questions, with the run's threshold and the
 *   recommended one (only when the set has unanswerable questions);
 * - calibration: accuracy (exact match of the best span) per answer-score bin against the diagonal;
 * - latency distribution with p50 and p95;
 * - open mode: recall@k and where the misses were lost (retrieval vs reader).
 */
import { COLORS, barChart, calibrationBins, calibrationChart, esc, fmt, histogramChart, pct, stackedBar, thr } from './charts.js';
import { expectedCalibrationError } from './calibration.js';
import type { EvalResult, QuestionRecord } from './result.js';
import { scorePrediction } from './squad-metrics.js';
import { percentile } from './stats.js';

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
    const ece = expectedCalibrationError(answered.map((r) => r.confidence!), answered.map((r) => r.f1 >= 0.5));
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
