/**
 * Config section `resourceRoutes`: with several backends, how many resource routes one client session
 * remembers per backend (the defaults are the proxy's LISTED_URIS_MAX, LISTED_TEMPLATES_MAX and
 * LINKED_URIS_MAX; docs/proxy.md, "URI routing"). The memory is per session and per backend, so the
 * ceiling guards against a typo that would let sessions x backends x entries exhaust the proxy's memory.
 */
import { z } from 'zod';

/** Largest value accepted for each limit. */
export const RESOURCE_ROUTES_CEILING = 1_000_000;

const limit = (fallback: number) =>
  z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .max(RESOURCE_ROUTES_CEILING, `must be at most ${RESOURCE_ROUTES_CEILING.toLocaleString('en-US')} (entries per backend of each client session)`)
    .default(fallback);

export const resourceRoutesSchema = z
  .object({
    /** Listed resource URIs remembered per backend (the first listed; those beyond are shown aliased). */
    listedUris: limit(10_000),
    /** Listed URI templates remembered per backend (the first listed; those beyond are shown aliased). */
    listedTemplates: limit(1_000),
    /** URIs given outside lists (resource links, read contents) per backend; the one given least recently is forgotten first. */
    givenUris: limit(1_000),
  })
  .strict();

export type ResourceRoutesConfig = z.infer<typeof resourceRoutesSchema>;
