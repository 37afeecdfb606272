import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('security settings', () => {
  it('refuses DOCQA_API_KEYS that holds no key instead of starting with auth off', () => {
    for (const value of [',', ' ', ' , ,']) {
      expect(() => loadConfig({ DOCQA_API_KEYS: value })).toThrow(/DOCQA_API_KEYS .*holds no key/u);
    }
    expect(loadConfig({ DOCQA_API_KEYS: 'a, b' }).apiKeys).toEqual(['a', 'b']);
    expect(loadConfig({ DOCQA_API_KEYS: '' }).apiKeys).toEqual([]); // unset
  });

  it('names the closest known setting for a misspelt DOCQA_ variable', () => {
    expect(() => loadConfig({ DOCQA_API_KEY: 'k' })).toThrow(/unknown setting DOCQA_API_KEY \(did you mean DOCQA_API_KEYS\?\)/u);
    expect(() => loadConfig({ DOCQA_RETRIEVER_TOPK: '5' })).toThrow(/did you mean DOCQA_RETRIEVER_TOP_K\?/u);
    expect(() => loadConfig({ DOCQA_SOMETHING_ELSE_ENTIRELY: '1' })).not.toThrow(/did you mean/u);
  });

  it('reads booleans and lists of the HTTP settings', () => {
    const c = loadConfig({ DOCQA_CORS_ORIGINS: 'https://a.example, https://b.example' });
    
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(loadConfig({}).accessLogQuestions).toBe(false);
    expect(loadConfig({ DOCQA_ACCESS_LOG_QUESTIONS: "yes" }).accessLogQuestions).toBe(true);
  });
});
