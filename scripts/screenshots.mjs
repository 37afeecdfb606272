// Takes the README's screenshots (run by scripts/screenshots after the build).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadConfig } from '../dist/config.js';
import { openServices } from '../dist/services.js';
import { createLogger } from '../dist/observability/logger.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const chrome = process.env.DOCQA_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => fs.existsSync(f));
if (!chrome) throw new Error('no Chromium: apt-get install chromium, or set DOCQA_CHROMIUM');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docqa-shots-'));
const services = await openServices(loadConfig({}, { dataDir: dir, logLevel: 'silent' }), { logger: createLogger('silent') });
const types = { txt: 'text/plain', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', pdf: 'application/pdf' };
for (const f of ['nikola-tesla.txt', 'normans.docx', 'huguenot.pdf']) {
  await services.ingestor.ingest({ data: fs.readFileSync(path.join(root, 'corpus', f)), name: f, mediaType: types[f.split('.').pop()] });
}
const server = (await services.httpApp()).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: chrome, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
fs.mkdirSync(path.join(root, 'docs/images'), { recursive: true });
const shot = async (file, locator) => {
  const out = path.join(root, 'docs/images', file);
  await (locator ? page.locator(locator).screenshot({ path: out }) : page.screenshot({ path: out }));
  const kb = fs.statSync(out).size / 1024;
  if (kb > 200) throw new Error(`${out} is ${kb.toFixed(0)} KB (> 200 KB)`);
  console.log(`${out}: ${kb.toFixed(0)} KB`);
};
await page.goto(base);
await page.locator('#question').fill('Who led the Norman conquest of England?');
await page.keyboard.press('Enter');
await page.locator('#results .answer, #results .no-answer').first().waitFor();
await shot('web-ask.png');
await page.locator('#question').fill('What is the capital of Australia?');
await page.keyboard.press('Enter');
await page.locator('#results .no-answer').waitFor();
await shot('web-no-answer.png', '#ask');
await page.locator('#operator-refresh').click();
await page.locator('#operator-figures table').waitFor();
await shot('web-documents.png', '#documents');
await shot('web-operator.png', '#operator');
await page.goto(`${base}/docs`);
await page.locator('.swagger-ui .opblock').first().waitFor();
await shot('web-api-docs.png');
await browser.close();
server.close();
await services.close();
fs.rmSync(dir, { recursive: true, force: true });
