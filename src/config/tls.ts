/**
 * TLS settings: `server.tls` (serve terminates TLS itself, optionally requiring client
 * certificates) and `backends[].tls` (how an https backend is verified, and the client certificate
 * shown to it). Paths are relative to the config file's folder. Certificate verification cannot be
 * turned off: there is deliberately no option for it.
 */
import { z } from 'zod';

const path = z.string().min(1);

export const serverTlsSchema = z
  .object({
    /** PEM certificate (chain: leaf first) served to clients. Watched: a new one is used without restart. */
    certFile: path,
    /** PEM private key of certFile (unencrypted). Watched with it. */
    keyFile: path,
    /** PEM CA certificate(s): when set, clients must present a certificate signed by one of them. Watched. */
    caFile: path.optional(),
    /** Oldest TLS version accepted. */
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
  })
  .strict();

export const backendTlsSchema = z
  .object({
    /** PEM CA certificate(s) the backend's certificate must chain to (instead of the system's CAs). */
    caFile: path.optional(),
    /** PEM client certificate shown to the backend (mutual TLS); needs keyFile. */
    certFile: path.optional(),
    /** PEM private key of certFile (unencrypted). */
    keyFile: path.optional(),
    /** Name the backend's certificate must carry (and SNI), when the URL's host is not it (an IP, an internal alias). */
    serverName: z.string().min(1).optional(),
  })
  .strict()
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), 'certFile and keyFile go together (a client certificate and its key)');

export type ServerTlsConfig = z.infer<typeof serverTlsSchema>;
export type BackendTlsConfig = z.infer<typeof backendTlsSchema>;
