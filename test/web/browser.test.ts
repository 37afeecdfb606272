import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, tempServices } from '../helpers/services.js';
import { findChromium } from '../helpers/chromium.js';

type S = Awaited<ReturnType<typeof tempServices>>;
const executablePath = findChromium();
if (!executablePath && process.env.CI === 'true') throw new Error('CI=true and no Chromium found (apt-get install chromium, or set DOCQA_CHROMIUM)');
if (!executablePath) console.warn('browser test skipped: no Chromium (set DOCQA_CHROMIUM or install chromium)');

/** Presses Tab until the element matching `selector` has the focus: the page is usable in its focus order. */
async function tabTo(page: Page, selector: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} is not reachable with Tab`);
}

describe.skipIf(!executablePath)('web page in headless Chromium (system package, playwright-core), keyboard only', () => {
  let services: S;
  let server: Server;
  let browser: Browser;
  let base: string;
  const problems: string[] = [];

  beforeAll(async () => {
    services = await tempServices();
    const tesla = fs.readFileSync(path.join(CORPUS, 'nikola-tesla.txt'), 'utf8');
    await services.ingestor.ingest({ data: Buffer.from(tesla), name: 'nikola-tesla.txt', format: 'text' });
    server = (await services.httpApp()).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: executablePath!, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await services?.cleanup();
  });

  it('asks, gives feedback, uploads and deletes a document, shows the operator figures', async () => {
    const page = await browser.newPage();
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => void d.accept());
    await page.goto(base);
    await expect.poll(() => page.locator('#documents-table tbody tr').count()).toBe(1);

    // ask
    await tabTo(page, '#question');
    await page.keyboard.type('Where was Tesla born?');
    await page.keyboard.press('Enter');
    await page.locator('#results .answer, #results .no-answer').first().waitFor();
    expect(await page.locator('#results').getAttribute('aria-live')).toBe('polite');
    const first = page.locator('#results .answer').first();
    expect(await first.locator('mark').textContent()).toBe(await first.locator('h3').textContent());
    expect(await first.locator('.confidence').textContent()).toMatch(/^confidence \d+ %$/);
    expect(await first.textContent()).toContain('nikola-tesla.txt');

    // feedback on the first answer, by keyboard
    await tabTo(page, 'button[aria-label="Correct: answer 1"]');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#results .feedback [role=status]').first().textContent()).toBe('Thanks: recorded "correct".');
    const logged = await services.recorder();
    expect((await logged.log.list({ limit: 10 })).some((r) => r.feedback?.verdict === 'correct')).toBe(true);

    // upload (the file itself is chosen in the OS dialog, which a test cannot drive: set it, then the keyboard)
    await page.locator('#files').setInputFiles({ name: 'rhine.md', mimeType: 'text/markdown', buffer: Buffer.from('# Rhine\n\nThe Rhine flows into the North Sea.') });
    await tabTo(page, '#upload-form button[type=submit]');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#documents-status').textContent()).toContain('rhine.md: created');
    await expect.poll(() => page.locator('#documents-table tbody tr').count()).toBe(2);

    // delete it
    await tabTo(page, 'button[aria-label="Delete rhine.md"]');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#documents-status').textContent()).toBe('Deleted rhine.md.');
    await expect.poll(() => page.locator('#documents-table tbody tr').count()).toBe(1);
    expect((await services.store.counts()).documents).toBe(1);

    // operator view: figures from /metrics and the drift table from /v1/monitor
    await tabTo(page, '#operator-refresh');
    await page.keyboard.press('Enter');
    // (the figures shown at page load said 0 questions; the refreshed ones count the question asked above)
    const questions = page.locator('#operator-figures dl div', { hasText: 'Questions' }).locator('dd');
    await expect.poll(async () => Number(await questions.textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#operator-figures dt').allTextContents()).toContain('No-answer rate');
    expect(await page.locator('#operator-figures table caption').textContent()).toContain('Drift');

    // the page's own resources only (no CDN), and no script errors
    expect(problems).toEqual([]);
  });
});
