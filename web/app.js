// docqa's web page: plain DOM, no framework, no build step. Every text from the server goes in with textContent.
const $ = (sel) => document.querySelector(sel);
const KEY = 'docqa.apiKey';

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

/** fetch with the API key (sessionStorage) and docqa's error replies as thrown messages. */
async function api(path, init = {}) {
  const headers = new Headers(init.headers);
  const key = sessionStorage.getItem(KEY);
  if (key) headers.set('Authorization', `Bearer ${key}`);
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      if (body?.error?.message) message = body.error.message;
    } catch {}
    if (res.status === 401) message += ' — paste an API key under "API key" above.';
    const err = new Error(message);
    err.status = res.status;
    throw err;
  }
  return res;
}

const pct = (x) => `${Math.round(x * 100)} %`;

// --- API key ---
$('#key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const v = $('#api-key').value.trim();
  if (v) sessionStorage.setItem(KEY, v);
  $('#api-key').value = '';
  loadDocuments();
});
$('#key-clear').addEventListener('click', () => sessionStorage.removeItem(KEY));

// --- ask ---
$('#ask-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const results = $('#results');
  const question = $('#question').value.trim();
  if (!question) return;
  results.setAttribute('aria-busy', 'true');
  results.replaceChildren(el('p', {}, 'Reading your documents…'));
  try {
    const res = await api('/v1/ask', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question, topK: Number($('#top-k').value) }),
    });
    showAnswers(await res.json());
  } catch (err) {
    results.replaceChildren(el('p', { class: 'error', role: 'alert' }, err.message));
  } finally {
    results.setAttribute('aria-busy', 'false');
  }
});

function contextWithMark(a) {
  const { start, end } = a.offsetsInContext;
  return el('p', { class: 'context' }, '…', a.context.slice(0, start), el('mark', {}, a.context.slice(start, end)), a.context.slice(end), '…');
}

function showAnswers(reply) {
  const out = [];
  if (reply.noAnswer.chosen) {
    out.push(el('div', { class: 'no-answer' }, el('h3', {}, 'No answer'), el('p', {}, reply.noAnswer.reason)));
    if (reply.answers.length) out.push(el('p', { class: 'candidates-note' }, 'Candidates docqa does not trust:'));
  }
  reply.answers.forEach((a, i) => {
    const page = a.page === null ? null : el('button', { type: 'button', class: 'page-link', onclick: () => openPage(a.document, a.page) }, `page ${a.page}`);
    out.push(
      el(
        'article',
        { class: 'answer', 'aria-label': `Answer ${i + 1}` },
        el('h3', {}, a.text),
        el('p', { class: 'meta' }, el('span', { class: 'confidence' }, `confidence ${pct(a.confidence)}`), ' · ', a.document.name, page ? ' · ' : '', page),
        contextWithMark(a),
        feedbackControls(reply, i),
      ),
    );
  });
  if (!reply.noAnswer.chosen && reply.answers.length === 0) out.push(el('p', {}, 'No answer.'));
  if (reply.noAnswer.chosen) out.push(feedbackControls(reply, null));
  out.push(el('p', { class: 'meta' }, `${reply.retrieved} passages read in ${Math.round(reply.timings.totalMs)} ms · model ${reply.model.name} ${reply.model.version}`));
  $('#results').replaceChildren(...out);
}

/** Thumbs and a correct answer for one answer (index) or for the no-answer decision (null). */
function feedbackControls(reply, index) {
  if (!reply.id) return null;
  const status = el('span', { role: 'status' });
  const correction = el('input', { type: 'text', 'aria-label': 'The correct answer', placeholder: 'correct answer (optional)' });
  const send = async (verdict) => {
    const body = { askId: reply.id, verdict };
    if (index !== null) body.answerIndex = index;
    if (correction.value.trim()) body.correctAnswer = correction.value.trim();
    try {
      await api('/v1/feedback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      status.className = 'done';
      status.textContent = `Thanks: recorded "${verdict}".`;
    } catch (err) {
      status.className = 'error';
      status.textContent = err.status === 404 ? 'Feedback is not available (the query log is off).' : err.message;
    }
  };
  const what = index === null ? 'the no-answer decision' : `answer ${index + 1}`;
  return el(
    'div',
    { class: 'feedback', role: 'group', 'aria-label': `Feedback on ${what}` },
    el('button', { type: 'button', 'aria-label': `Correct: ${what}`, onclick: () => send('correct') }, '✓ correct'),
    ' ',
    el('button', { type: 'button', 'aria-label': `Wrong: ${what}`, onclick: () => send('wrong') }, '✗ wrong'),
    ' ',
    correction,
    ' ',
    el('button', { type: 'button', 'aria-label': `Send the correct answer for ${what}`, onclick: () => send(index === null ? 'wrong' : 'partial') }, 'Send correction'),
    ' ',
    status,
  );
}

/** The text of one page (from the stored passages: docqa keeps the extracted text, not the original file). */
async function openPage(doc, page) {
  const dialog = $('#page-dialog');
  $('#page-title').textContent = `${doc.name}, page ${page}`;
  $('#page-text').replaceChildren(el('p', {}, 'Loading…'));
  dialog.showModal();
  try {
    const parts = [];
    for (let offset = 0; ; offset += 1000) {
      const res = await api(`/v1/documents/${encodeURIComponent(doc.id)}?passages=true&passageOffset=${offset}&passageLimit=1000`);
      const d = await res.json();
      for (const p of d.passages ?? []) if (p.page === page) parts.push(p.text);
      const last = d.passages?.at(-1);
      if (!d.passages?.length || (last && last.page > page) || offset + 1000 >= (d.passagePage?.total ?? 0)) break;
    }
    $('#page-text').replaceChildren(...(parts.length ? parts.map((t) => el('p', {}, t)) : [el('p', {}, 'No text on this page.')]));
  } catch (err) {
    $('#page-text').replaceChildren(el('p', { class: 'error' }, err.message));
  }
}

// --- documents ---
async function loadDocuments() {
  const status = $('#documents-status');
  try {
    const res = await api('/v1/documents?limit=1000');
    const { documents, total } = await res.json();
    $('#documents-table tbody').replaceChildren(
      ...documents.map((d) =>
        el(
          'tr',
          {},
          el('td', {}, d.name),
          el('td', {}, String(d.pageCount)),
          el('td', {}, String(d.passageCount)),
          el('td', {}, new Date(d.createdAt).toLocaleString()),
          el('td', {}, el('button', { type: 'button', 'aria-label': `Delete ${d.name}`, onclick: () => deleteDocument(d) }, 'Delete')),
        ),
      ),
    );
    if (!status.dataset.keep) status.textContent = `${total} document${total === 1 ? '' : 's'}.`;
    delete status.dataset.keep;
  } catch (err) {
    status.textContent = err.message;
  }
}

async function deleteDocument(d) {
  if (!confirm(`Delete ${d.name}?`)) return;
  const status = $('#documents-status');
  try {
    await api(`/v1/documents/${encodeURIComponent(d.id)}`, { method: 'DELETE' });
    status.textContent = `Deleted ${d.name}.`;
    status.dataset.keep = '1';
  } catch (err) {
    status.textContent = err.message;
    status.dataset.keep = '1';
  }
  await loadDocuments();
  $('#files').focus();
}

$('#upload-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const files = [...$('#files').files];
  const status = $('#documents-status');
  if (!files.length) {
    status.textContent = 'Choose one or more files first.';
    return;
  }
  const lines = [];
  for (const file of files) {
    status.textContent = `Uploading ${file.name}…`;
    const form = new FormData();
    form.append('file', file, file.name);
    try {
      const r = await (await api('/v1/documents', { method: 'POST', body: form })).json();
      lines.push(`${r.name}: ${r.status} (${r.passages} passages${r.pages ? `, ${r.pages} pages` : ''})`);
    } catch (err) {
      lines.push(`${file.name}: ${err.message}`);
    }
  }
  status.textContent = lines.join('; ');
  status.dataset.keep = '1';
  $('#files').value = '';
  await loadDocuments();
});

// --- operator view ---
/** Prometheus text format -> [{name, labels, value}] (enough for docqa's own series). */
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/u.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/gu)) labels[k] = v;
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

const sum = (series, name, pred = () => true) => series.filter((s) => s.name === name && pred(s.labels)).reduce((t, s) => t + s.value, 0);

async function loadOperator() {
  const box = $('#operator-figures');
  const figures = [];
  const notes = [];
  try {
    const series = parseMetrics(await (await api('/metrics')).text());
    const asks = sum(series, 'docqa_questions_total');
    const noAnswer = sum(series, 'docqa_no_answer_total');
    const askRoute = (l) => l.route === '/v1/ask';
    const latencyCount = sum(series, 'docqa_http_request_duration_seconds_count', askRoute);
    const latencySum = sum(series, 'docqa_http_request_duration_seconds_sum', askRoute);
    const precision = series.find((s) => s.name === 'docqa_feedback_precision' && s.labels.window === '24h');
    figures.push(
      ['Questions', String(asks)],
      ['No-answer rate', asks ? pct(noAnswer / asks) : '–'],
      ['Mean ask latency', latencyCount ? `${Math.round((latencySum / latencyCount) * 1000)} ms` : '–'],
      ['Documents', String(sum(series, 'docqa_store_documents'))],
      ['Passages', String(sum(series, 'docqa_store_passages'))],
      ['HTTP errors', String(sum(series, 'docqa_http_errors_total'))],
      ['Feedback given', String(sum(series, 'docqa_feedback_received_total'))],
      ['Precision (feedback, 24 h)', precision && Number.isFinite(precision.value) ? pct(precision.value) : '–'],
    );
  } catch (err) {
    notes.push(`Metrics unavailable: ${err.message}`);
  }
  let drift = null;
  try {
    const report = await (await api('/v1/monitor')).json();
    drift = el(
      'table',
      {},
      el('caption', {}, 'Drift against the baseline (PSI)'),
      el('thead', {}, el('tr', {}, ...['Feature', 'Status', 'PSI', 'Window mean', 'Baseline mean'].map((h) => el('th', { scope: 'col' }, h)))),
      el(
        'tbody',
        {},
        ...report.features.map((f) =>
          el(
            'tr',
            {},
            el('td', {}, f.description || f.feature),
            el('td', { class: `status-${f.status}` }, f.status.replace('_', ' ')),
            el('td', {}, f.psi === null ? '–' : f.psi.toFixed(3)),
            el('td', {}, f.window.mean === null ? '–' : f.window.mean.toFixed(2)),
            el('td', {}, f.baseline ? f.baseline.mean.toFixed(2) : '–'),
          ),
        ),
      ),
    );
  } catch (err) {
    notes.push(err.status === 404 ? 'Drift monitoring is not available on this server.' : `Drift unavailable: ${err.message}`);
  }
  box.replaceChildren(
    el('dl', { class: 'figures' }, ...figures.map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v)))),
    drift,
    ...notes.map((n) => el('p', { class: 'note' }, n)),
  );
}
$('#operator-refresh').addEventListener('click', loadOperator);

loadDocuments();
loadOperator();
