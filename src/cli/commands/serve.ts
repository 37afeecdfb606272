import { Command } from 'commander';
import { once } from 'node:events';
import { buildApp } from '../../api/app.js';
import { loadEvalGaugeRows } from '../../eval/gauges.js';
import { openServices } from '../../services.js';
import { addConfigOptions, configFrom, parseIntFlag } from '../options.js';

export function serveCommand(): Command {
  return addConfigOptions(new Command('serve'))
    .description('run the HTTP service')
    .option('-p, --port <port>', 'port (DOCQA_PORT)', parseIntFlag('--port'))
    .option('--host <host>', 'interface to listen on (DOCQA_HOST)')
    .action(async (flags) => {
      const config = configFrom(flags, { port: flags.port, host: flags.host });
      const services = await openServices(config);
      const pipeline = await services.pipeline();
      const counts = await services.store.counts();
      services.metrics.gauge('docqa_store_documents', 'Documents in the store', async () => (await services.store.counts()).documents);
      services.metrics.gauge('docqa_store_passages', 'Passages in the store', async () => (await services.store.counts()).passages);
      // latest `docqa eval` scores per model version (docqa_eval_*), read from <data-dir>/eval/runs at scrape time
      services.metrics.trackEvalScores(() => loadEvalGaugeRows(config.dataDir));
      const app = buildApp({
        pipeline,
        ingestor: services.ingestor,
        metrics: services.metrics,
        logger: services.logger,
        apiKeys: config.apiKeys,
        maxUploadBytes: config.maxUploadBytes,
      });
      const server = app.listen(config.port, config.host);
      await once(server, 'listening');
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      services.logger.info(
        { port, host: config.host, store: config.store, model: pipeline.reader.model, ...counts },
        `docqa listening on http://${config.host}:${port}`,
      );
      process.stdout.write(`docqa listening on http://${config.host}:${port} (${counts.documents} documents)\n`);
      const stop = async () => {
        services.logger.info('shutting down');
        server.close();
        server.closeAllConnections();
        await services.close();
        process.exit(0);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
