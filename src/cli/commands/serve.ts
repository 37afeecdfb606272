import { Command } from 'commander';
import { once } from 'node:events';
import { applyTimeouts, drain } from '../../api/server.js';
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
      const app = await services.httpApp();
      const reader = await services.reader();
      const counts = await services.store.counts();
      const server = app.listen(config.port, config.host);
      applyTimeouts(server, config);
      await once(server, 'listening');
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      services.logger.info(
        { port, host: config.host, store: config.store, model: { ...reader.model, calibrator: undefined, calibrated: reader.model.calibrator !== undefined }, ...counts },
        `docqa listening on http://${config.host}:${port}`,
      );
      process.stdout.write(`docqa listening on http://${config.host}:${port} (${counts.documents} documents)\n`);
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        services.logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down: draining in-flight requests');
        const result = await drain(server, app, config.shutdownTimeoutMs);
        services.logger.info(result, result.drained ? 'drained' : 'drain deadline reached: remaining connections cut');
        await services.close();
        process.exit(0);
      };
      services.ingestor.conversion.warm?.(); // the small-file lane's worker, ready before the first upload
      // leftovers of writes interrupted earlier (a killed ingest or server) are deleted in the background
      services.ingestor
        .sweepOrphans()
        .then((swept) =>
          services.logger.info(
            swept,
            swept.passages + swept.markers > 0 ? 'deleted leftovers of interrupted writes' : 'no leftovers of interrupted writes',
          ),
        )
        .catch((err: unknown) => services.logger.warn({ err }, 'could not sweep leftovers of interrupted writes'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
