/** The Elasticsearch query log against a real server (test/helpers/elasticsearch.ts), each test under a fresh prefix. */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { queriesCommand } from '../../src/cli/commands/queries.js';
import { ElasticsearchQueryLog } from '../../src/querylog/elasticsearch.js';
import { runCommand } from '../helpers/cli.js';
import { ES_URL, elasticsearchAvailable, testIndexPrefix } from '../helpers/elasticsearch.js';
import { tempServices } from '../helpers/services.js';
import { describeQueryLogContract } from './contract.js';

const available = await elasticsearchAvailable('Elasticsearch query log tests');

describe.skipIf(!available)('ElasticsearchQueryLog against a real server', () => {
  describeQueryLogContract('elasticsearch', async () => {
    const log = new ElasticsearchQueryLog({ url: ES_URL, index: testIndexPrefix(), timeoutMs: 30_000 });
    return {
      log,
      async cleanup() {
        await log.drop();
        await log.close();
      },
    };
  });

  it('DOCQA_STORE=elasticsearch: the service records asks and feedback in <es-index>-queries, and the CLI reads them', async () => {
    const prefix = testIndexPrefix();
    const services = await tempServices({ store: 'elasticsearch', esUrl: ES_URL, esIndex: prefix });
    const saved = process.env.DOCQA_ES_INDEX;
    try {
      const app = await services.httpApp();
      const log = await services.queryLog();
      expect(log).toBeInstanceOf(ElasticsearchQueryLog);
      expect((log as ElasticsearchQueryLog).index).toBe(`${prefix}-queries`);
      await request(app).post('/v1/documents').send({ name: 'note.txt', text: 'The meeting is on Tuesday in Room 4. Bring the annual report.' }).expect(201);
      const ask = await request(app).post('/v1/ask').send({ question: 'When is the meeting?' }).expect(200);
      expect((await log.get(ask.body.id))!.question).toBe('When is the meeting?');
      expect((await request(app).post('/v1/feedback').send({ askId: ask.body.id, verdict: 'wrong', correctAnswer: 'Tuesday' })).status).toBe(201);
      expect((await request(app).post('/v1/feedback').send({ askId: ask.body.id, verdict: 'correct' })).status).toBe(200);
      expect((await request(app).post('/v1/feedback').send({ askId: 'nope', verdict: 'correct' })).status).toBe(404);
      const metrics = (await request(app).get('/metrics')).text;
      expect(metrics).toMatch(/^docqa_feedback_precision\{model="tiny-roberta-qa",version="[^"]*",window="1h"\} 1$/m);
      expect(metrics).toMatch(/^docqa_query_log_records 1$/m);

      // another process (the CLI) sees what the server wrote
      process.env.DOCQA_ES_INDEX = prefix;
      const listed = JSON.parse(await runCommand(queriesCommand, 'list', '--store', 'elasticsearch', '--es-url', ES_URL, '--data-dir', services.dir, '--json'));
      expect(listed.total).toBe(1);
      expect(listed.records[0]).toMatchObject({ id: ask.body.id, feedback: { verdict: 'correct' } });
    } finally {
      if (saved === undefined) delete process.env.DOCQA_ES_INDEX;
      else process.env.DOCQA_ES_INDEX = saved;
      await (await services.queryLog()).drop();
      await services.store.drop();
      await services.cleanup();
    }
  });
});
