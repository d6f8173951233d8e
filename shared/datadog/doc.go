// Package datadog is the small Datadog client that rotation needs: create,
// read, list and delete API keys and service-account application keys, and
// check that a key (or an API and application key pair) is accepted.
//
// It wraps github.com/DataDog/datadog-api-client-go/v2 and adds what a
// rotation step must be able to rely on:
//
//   - Keys are sent only to the API of the credential's own Datadog site, or to
//     an explicitly configured emulator on a loopback address; redirects are
//     never followed, so a key header cannot be forwarded elsewhere.
//   - Every call is bounded in time, retries included (Options.MaxElapsed), so
//     a Lambda never spends its whole timeout waiting on Datadog. 429 and 5xx
//     answers are retried by the library, except for creates: an answer lost
//     after Datadog made a key must not make a second one, so the caller,
//     which can look for the key by name, decides.
//   - Errors are typed (*Error with a Kind) so that callers and the state
//     machine can tell "retry later" from "fix the configuration", and they
//     never carry a response body, which may hold a key.
package datadog
