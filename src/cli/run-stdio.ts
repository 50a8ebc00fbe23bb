/**
 * The stdio frontend shared by `wrap` and `serve` (server.stdio): one client session on our own
 * stdin/stdout, identified by the Authenticator as a stdio client. stdout carries only the protocol.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { MAX_NESTING } from '../transport/message-check.js';
import { NdjsonTransport } from '../transport/ndjson.js';
import type { SessionAcceptor } from '../transport/types.js';
import type { Authenticator } from '../types.js';
import { CliError, EXIT } from './errors.js';

export async function openStdioSession(
  acceptor: SessionAcceptor,
  authenticator: Authenticator,
  maxMessageBytes: number,
  onClose: () => void,
): Promise<NdjsonTransport> {
  const auth = await authenticator.authenticate({ transport: 'stdio', headers: {} });
  if (!auth.ok) throw new CliError(`stdio client rejected: ${auth.message}`, EXIT.CONFIG);
  const sessionId = `stdio-${randomUUID()}`;
  const transport = new NdjsonTransport(process.stdin, process.stdout, { maxMessageBytes, answerInvalid: true, maxNesting: MAX_NESTING, sessionId });
  await acceptor.openSession(transport, { sessionId, transport: 'stdio', client: auth.client });
  // The proxy set onclose when it took the transport over; chain ours after it.
  const proxyOnClose = transport.onclose;
  transport.onclose = () => {
    proxyOnClose?.();
    onClose();
  };
  return transport;
}

/**
 * Resolves once everything written to `out` has been handed to the peer (our stdout: what the
 * client has not read yet would be lost to process.exit), or the stream failed or closed (nobody
 * will take it), or `stop` resolves first (a signal). Used once, at exit: it polls.
 */
export function outputWritten(out: Writable, stop: Promise<void>): Promise<void> {
  if (out.writableLength === 0 || out.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (out.writableLength === 0 || out.destroyed) done();
    }, 20);
    function done(): void {
      clearInterval(timer);
      out.off('error', done);
      out.off('close', done);
      resolve();
    }
    out.once('error', done);
    out.once('close', done);
    void stop.then(done);
  });
}
