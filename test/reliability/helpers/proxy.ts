/**
 * A TCP proxy in front of a real server (Elasticsearch), for outages seen from docqa's side without stopping the
 * shared server: `refuse()` closes every connection and refuses new ones (a dead node), `hang()` accepts
 * connections and never answers (a partitioned or frozen node), `restore()` forwards again. `holdOn()` holds one
 * request back (a slow network) to order a race between two clients deterministically.
 */
import net from 'node:net';

export interface FaultProxy {
  url: string;
  refuse(): Promise<void>;
  hang(): void;
  /** Refuses (as refuse()) as soon as the n-th request whose bytes match `pattern` is on its way, before it arrives. */
  refuseOn(pattern: RegExp, n: number): Promise<void>;
  /**
   * Holds back the n-th request whose bytes match `pattern` (and what follows on its connection): `held` resolves
   * when it is being held, `release()` sends it on.
   */
  holdOn(pattern: RegExp, n: number): { held: Promise<void>; release(): void };
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function faultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  const sockets = new Set<net.Socket>();
  let mode: 'forward' | 'hang' = 'forward';
  let trap: { pattern: RegExp; left: number; sprung: () => void } | null = null;
  let hold: { pattern: RegExp; left: number; held: () => void; released: Promise<void> } | null = null;
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (mode === 'hang') return; // read nothing, answer nothing
    const upstream = net.connect(Number(to.port), to.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    let heldBack: Promise<void> | null = null;
    const forward = (chunk: Buffer) => {
      if (!upstream.destroyed) upstream.write(chunk);
    };
    client.on('data', (chunk: Buffer) => {
      if (hold && hold.pattern.test(chunk.toString('latin1')) && --hold.left === 0) {
        heldBack = hold.released;
        hold.held();
        hold = null;
      }
      if (heldBack) return void heldBack.then(() => forward(chunk));
      if (trap && trap.pattern.test(chunk.toString('latin1')) && --trap.left === 0) {
        const t = trap;
        trap = null;
        void stop().then(t.sprung);
        return;
      }
      forward(chunk);
    });
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const dropAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      dropAll();
      trap = null;
    });
  return {
    url: `http://127.0.0.1:${port}`,
    async refuse() {
      mode = 'forward';
      await stop();
    },
    hang() {
      mode = 'hang';
      dropAll();
    },
    refuseOn(pattern, n) {
      return new Promise<void>((sprung) => {
        trap = { pattern, left: n, sprung };
      });
    },
    holdOn(pattern, n) {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const held = new Promise<void>((resolve) => {
        hold = { pattern, left: n, held: resolve, released };
      });
      return { held, release };
    },
    async restore() {
      mode = 'forward';
      dropAll();
      if (!server.listening) await listen(port);
    },
    close: stop,
  };
}
