// Package mockapi is an in-memory Packet (Equinix Metal) API for tests, demos
// and offline use: a real HTTP server under /metal/v1, safe for concurrent
// use, seeded from a Seed (or a state file), with fault injection and
// per-route request counters.
//
// Endpoints (relative to /metal/v1):
//
//	GET  /users/me, /user                 the caller
//	GET|POST /projects                    the caller's projects; create one
//	GET|PATCH|PUT|DELETE /projects/{id}   (delete: 422 while it has devices)
//	GET  /projects/{id}/bgp-config        always {} (no BGP), as the earlier providers read it
//	GET|POST /projects/{id}/ssh-keys      a project's keys
//	GET|POST /ssh-keys                    the caller's personal keys
//	GET|PATCH|PUT|DELETE /ssh-keys/{id}
//	GET|POST /projects/{id}/devices
//	GET|DELETE /devices/{id}
//	GET  /devices/{id}/ssh-keys           the keys snapshot onto the device that still exist
//
// Behaviour: every response has an X-Request-Id, as the API's do.
// X-Auth-Token must belong to a seeded user (401); a user sees
// their own personal keys and the projects they are a member of with those
// projects' keys and devices, anything else is 404; a read-only token gets 403
// on POST/PATCH/PUT/DELETE. Errors are {"errors":[...]} as application/json.
// Keys are checked with golang.org/x/crypto/ssh: an unparseable key, the
// RFC 4716 form, a missing label or key, and a second key with the same
// fingerprint under the same owner are 422. A key is stored and echoed
// exactly as sent (a trailing space or newline included), as by the API. Device creation snapshots the
// keys (cloud-init semantics): keys added later never reach the device.
// Bodies over 1 MiB are 413, malformed JSON 422, unknown paths 404, a known
// path with another method 405.
//
// The lists whose spec response has "meta" (projects, a project's devices)
// are paginated as the API does, with the spec's defaults when the request
// gives none: page 1, per_page 10 (clamped to 1000; page at most 100000).
// Key lists, which the spec does not page, return everything unless page or
// per_page is given. Lists of keys take "search" (substring of label, key or
// fingerprint, case-insensitive).
//
// Deviations from the OpenAPI spec, on purpose:
//   - PATCH /ssh-keys/{id} and /projects/{id} are served (packngo uses
//     them) next to the spec's PUT; each pair does the same.
//   - Projects show the organization and payment method ids they were
//     given (an organization derived from the creator when none was); the
//     mock has no organizations or payment methods of its own.
//   - SSH keys carry both "owner" (read by packngo) and "entity" (the spec).
//   - GET /users/me is served next to the spec's GET /user (which packngo uses).
//   - GET /projects/{id}/ssh-keys takes "search" (packngo) as well as the
//     spec's "query"; all lists accept page/per_page and may answer "meta"
//     even where the spec does not list them.
//   - The spec's SSHKeyList has no "meta"; the mock adds it when paginating.
//
// Devices keep and show the settings they were created with (billing_cycle,
// description, locked, always_pxe, ipxe_script_url, userdata, customdata as
// an object or a string holding one), name their project by id and href,
// and have layer 3 network_ports (bond0 over eth0 and eth1).
//
// Mock extensions (not in the spec) on devices: "ssh_host_key", the OpenSSH
// public line of the simulated machine's host key, and "ssh_port", the port
// of its SSH server; both are present only when a Machine is attached (see
// Options.Provisioner). The public IPv4 address is the machine's Host(), or
// 127.0.0.1 without a machine; root_password is shown for 24 hours after
// creation by Options.Clock.
//
// docs/guides/packet-mock.md (from templates/guides/packet-mock.md.tmpl)
// lists every extension, flag, token and the seed format for users; keep it
// in step.
//
// Server.SeedFromState rebuilds the platform's view from a Terraform state
// file (package tfstate reads it): projects, keys and devices with the ids,
// labels, key material, timestamps and addresses the state holds, and the
// lines of key attachments on the devices' machines, so that the
// configuration that wrote the state plans with no changes. Seeded devices
// show the state's addresses instead of the mock's defaults.
//
// Options.Retired answers every API call 401 with RetiredMessage, as the
// platform has since its end of life; the admin endpoints keep working.
//
// Faults (SetFaults) apply in this order, after routing and counting:
// dropped connection, latency, 429 burst, random 5xx; then authentication,
// the operation, and AfterCommit, which replaces a successful answer.
package mockapi
