import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { countProgress } from '../../src/util/progress.js';

function capture(tty: boolean): { out: PassThrough & { isTTY?: boolean }; text: () => string } {
  const out = Object.assign(new PassThrough(), tty ? { isTTY: true } : {});
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out, text: () => text };
}

describe('countProgress', () => {
  it('writes a plain line at every tenth when the output is not a terminal', () => {
    const { out, text } = capture(false);
    const progress = countProgress(out, 'questions');
    progress(0, 20);
    for (let done = 1; done <= 20; done++) progress(done, 20);
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^2\/20 questions \(10\.0%\), \d+\.\d{2}\/s, about \d+ s left$/u);
    expect(lines[9]).toMatch(/^20\/20 questions \(100\.0%\), \d+\.\d{2}\/s, \d+\.\d s$/u);
  });

  it('draws a cli-progress bar on a terminal and stops it at the end', () => {
    const { out, text } = capture(true);
    const progress = countProgress(out, 'questions');
    progress(0, 3);
    for (let done = 1; done <= 3; done++) progress(done, 3);
    expect(text()).toMatch(/100% \| questions 3\/3 \| \d+\.\d{2}\/s \| ETA/u);
  });
});
