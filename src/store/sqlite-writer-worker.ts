/**
 * The worker thread of WorkerPassageWriter (sqlite-writer.ts): its own connection on the store's file, one passage
 * transaction per message. Foreign keys are off on this connection: it inserts passages whose
 * document row does not exist yet and deletes passages whose row is gone. Its commits run the WAL's automatic
 * checkpoints, off the event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { errorMessage } from '../errors.js';
import { PassageStatements, type WriterReply, type WriterRequest } from './sqlite-writer.js';

if (!parentPort) throw new Error('sqlite-writer-worker.js must run as a worker thread');
const port = parentPort;
const { file } = workerData as { file: string };

let statements: PassageStatements | null = null;

function opened(): PassageStatements {
  if (statements) return statements;
  const db = new Database(file);
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = OFF'); // better-sqlite3 turns them on by default
  return (statements = new PassageStatements(db));
}

port.on('message', (request: WriterRequest) => {
  let reply: WriterReply;
  try {
    if (request.op === 'insert') {
      const value = opened().insert(request.docId, request.passages, request.min, request.sliceMs);
      reply = { id: request.id, ok: true, value, ms: 0 }; // only a purge's time is used (it sizes the next one)
    } else {
      const { deleted, ms } = opened().purge(request.docId, request.limit);
      reply = { id: request.id, ok: true, value: deleted, ms };
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    reply = { id: request.id, ok: false, error: { message: errorMessage(err), ...(typeof code === 'string' ? { code } : {}) } };
  }
  port.postMessage(reply);
});
