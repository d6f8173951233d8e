// Package ddemu emulates the part of the Datadog API that manages keys: API keys,
// application keys (owned by service accounts, by the current user, or listed
// across the org) and the two validation endpoints.
//
// Nothing in local mode may reach Datadog, yet the rotation has to be exercised
// against the same paths, bodies, status codes and auth headers as the real API.
// The emulator therefore answers exactly as the recorded Datadog responses do
// (see the contract test), enforces DD-API-KEY / DD-APPLICATION-KEY auth and
// application-key scopes, applies One-Time Read to application key values and
// caps the number of API keys per org.
//
// It is also a test instrument: state can be seeded and inspected, faults
// (status codes, latency, rate limits, lost responses, connection resets) can be
// injected per method, path or operation, and every call is logged and counted
// without ever recording a header or a body, so no key value can leak through it.
package ddemu
