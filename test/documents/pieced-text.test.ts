import { describe, expect, it } from 'vitest';
import { PiecedText } from '../../src/documents/pieced-text.js';
import { copySliced, decodeUtf8Sliced } from '../../src/util/event-loop.js';
import { seeded } from '../helpers/random.js';


describe('PiecedText', () => {
  const whole = 'The Normans – Normanz – gave their name to Normandy, 東京 𝄞 naïve.';

  it('slices like the string it stands for, across piece boundaries, with empty pieces and negative positions', () => {
    const random = seeded(7);
    for (let trial = 0; trial < 50; trial++) {
      // cut the text at random places (empty pieces included)
      const cuts = Array.from({ length: 1 + Math.floor(random() * 6) }, () => Math.floor(random() * (whole.length + 1))).sort((a, b) => a - b);
      const pieces = [0, ...cuts].map((from, i) => whole.slice(from, [...cuts, whole.length][i]));
      const text = new PiecedText(pieces);
      expect(text.length).toBe(whole.length);
      expect(text.toString()).toBe(whole);
      for (let k = 0; k < 40; k++) {
        const a = Math.floor(random() * (whole.length + 10)) - 5;
        const b = Math.floor(random() * (whole.length + 10)) - 5;
        expect(text.slice(a, b), `${JSON.stringify(pieces)} slice(${a}, ${b})`).toBe(whole.slice(a, b));
      }
      expect(text.slice()).toBe(whole);
      expect(text.slice(3)).toBe(whole.slice(3));
    }
  });

  it('is empty with no pieces, or only empty ones', () => {
    expect(new PiecedText([]).slice(0, 5)).toBe('');
    expect(new PiecedText(['', '']).length).toBe(0);
    expect(new PiecedText(['', 'ab', '']).slice(0, 2)).toBe('ab');
  });
});

describe('decodeUtf8Sliced and copySliced', () => {
  it('decodes UTF-8 in slices into pieces that join to the text, even when a character straddles two slices', async () => {
    const text = 'aé東𝄞'.repeat(1000);
    const bytes = new TextEncoder().encode(text);
    for (const slice of [1, 2, 3, 5, 7, 1024]) {
      const pieces = await decodeUtf8Sliced(bytes, slice);
      expect(pieces.join('')).toBe(text);
      expect(pieces.length).toBeGreaterThanOrEqual(Math.ceil(bytes.length / slice));
    }
  });

  it('copies bytes in slices into memory of its own', async () => {
    const data = Buffer.from(Array.from({ length: 10_001 }, (_, i) => i % 251));
    const copy = await copySliced(data, 1000);
    expect(Buffer.from(copy).equals(data)).toBe(true);
    expect(copy.buffer).not.toBe(data.buffer);
    expect(copy.byteOffset).toBe(0);
    expect(copy.buffer.byteLength).toBe(data.length);
  });
});
