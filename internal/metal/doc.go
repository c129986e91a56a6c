// Package metal is the provider's client for the Packet / Equinix Metal API.
//
// It is built on packngo: every request is made with packngo's NewRequest and
// Do, so the platform sees packngo's headers (X-Auth-Token, X-Consumer-Token,
// User-Agent, JSON content type). This package adds what the provider needs on
// top: retries with backoff for idempotent calls, a per-attempt timeout,
// keep-alive connections, typed API errors, tflog logging with the token
// masked, and the calls packngo lacks or decodes too narrowly (key tags and
// owners, device key lists, mock extensions of the device).
//
// Retry rules: GET, PUT, PATCH and DELETE are retried on 429, on 5xx (except
// 501) and on connection errors. A POST is retried only on 429, where the API
// states it did not process the request; on 5xx or a broken connection its
// outcome is unknown and the error reports it (see IsAmbiguous) so that a
// higher layer can look for the object instead of creating a duplicate.
package metal
