// Package credential models the Datadog credentials that ddrotate keeps in
// Secrets Manager: the admin credential that every Datadog call is made with,
// and the per-target team credential that rotation replaces.
//
// Key values are held in [Secret], which masks itself in every output path
// (fmt verbs, slog, encoding/json, encoding.TextMarshaler) so that a credential can be
// passed to a logger or wrapped in an error without leaking. The only way to
// obtain a value is [Secret.Reveal], and the only way to serialise a credential
// with its values is SecretString, which exists to write Secrets Manager.
//
// Parsing is strict because a malformed secret discovered halfway through a
// rotation is far more expensive than one rejected up front: key shapes, ids
// and the Datadog site are checked, and every error names the offending JSON
// field without ever repeating its value.
package credential
