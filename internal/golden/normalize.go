package golden

import (
	"bytes"
	"cmp"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Normalizer turns a JSON document into the form golden files hold: keys
// sorted, indented by two spaces, and every value that differs from run to
// run replaced with a placeholder.
//
// A string is replaced, in this order:
//   - whole, when it is a value the Normalizer learned (Value, Record): the
//     placeholder then names what the value is, so a golden file shows that
//     the key DeleteOld revoked is the record's old key;
//   - whole, when it is the value of a field with a placeholder of its own
//     (time, messageId, a last4, ...);
//   - in part, where it quotes a learned id or ARN, or a last4 after "…"
//     (in error messages).
type Normalizer struct {
	values map[string]string
	fields map[string]string
}

// NewNormalizer returns a Normalizer that knows the fields of ddrotate's
// payloads and notifications whose values always vary.
func NewNormalizer() *Normalizer {
	return &Normalizer{
		values: map[string]string{},
		fields: map[string]string{
			"executionId":     "<executionId>",
			"secretArn":       "<secretArn>",
			"versionId":       "<pendingVersionId>",
			"time":            "<time>",
			"oldKeyExpiresAt": "<time + grace period>",
			"lastUsed":        "<lastUsed>",
			"holdUntil":       "<time + maximum grace period>",
			"deleteBy":        "<time + maximum grace period>",
			"messageId":       "<messageId>",
			// Last4s are replaced by field, not learned: two random keys
			// may share their last four characters.
			"apiKeyLast4": "<last4>",
			"appKeyLast4": "<last4>",
			"last4":       "<last4>",
		},
	}
}

// Value makes every occurrence of value (whole, or inside a longer string
// when value is at least 8 characters long) read placeholder. An empty
// value is ignored.
func (n *Normalizer) Value(value, placeholder string) {
	if value != "" {
		n.values[value] = placeholder
	}
}

// recordFields are the fields of a rotation record whose values vary, with
// their placeholders; "new" and "old" hold a credential's key ids.
var recordFields = map[string]string{
	"executionId":       "<executionId>",
	"secretArn":         "<secretArn>",
	"keyName":           "<keyName>",
	"oldKeyName":        "<oldKeyName>",
	"pendingVersionId":  "<pendingVersionId>",
	"previousVersionId": "<previousVersionId>",
	"graceVersionId":    "<graceVersionId>",
	"serviceAccountId":  "<serviceAccountId>",
}

// Record learns the varying values of a rotation record (the JSON that
// Create returns and every later step is passed as "rotation").
func (n *Normalizer) Record(t testing.TB, raw []byte) {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil || rec == nil {
		t.Fatalf("golden: not a rotation record: %s", raw)
	}
	for field, placeholder := range recordFields {
		if s, ok := rec[field].(string); ok {
			n.Value(s, placeholder)
		}
	}
	for _, side := range []string{"new", "old"} {
		keys, _ := rec[side].(map[string]any)
		for field, name := range map[string]string{"apiKeyId": "ApiKeyId", "appKeyId": "AppKeyId"} {
			if s, ok := keys[field].(string); ok {
				n.Value(s, "<"+side+name+">")
			}
		}
	}
}

// JSON returns raw normalised. It fails t if raw is not JSON, or if an id,
// an ARN or a key-shaped value survives normalisation: such a value would
// differ on the next run, and a key-shaped one must never be committed.
func (n *Normalizer) JSON(t testing.TB, raw []byte) []byte {
	t.Helper()
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("golden: not JSON: %v: %s", err, raw)
	}
	doc = n.walk(doc, "")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // placeholders are <...>
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatalf("golden: %v", err)
	}
	out := buf.Bytes()
	for _, m := range unnormalised.FindAllString(string(out), -1) {
		t.Errorf("golden: %q survived normalisation; teach the Normalizer its placeholder (Value or Record)", m)
	}
	for _, m := range longWord.FindAllString(string(out), -1) {
		if strings.ContainsAny(m, "0123456789") {
			t.Errorf("golden: a key-shaped value (%d characters) survived normalisation", len(m))
		}
	}
	return out
}

func (n *Normalizer) walk(v any, field string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = n.walk(e, k)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = n.walk(e, field)
		}
		return v
	case string:
		return n.str(v, field)
	}
	return v
}

func (n *Normalizer) str(s, field string) string {
	if p, ok := n.values[s]; ok {
		return p
	}
	if p, ok := n.fields[field]; ok && s != "" {
		return p
	}
	// Longest first, so that an ARN is replaced before an id inside it.
	long := make([]string, 0, len(n.values))
	for v := range n.values {
		if len(v) >= 8 {
			long = append(long, v)
		}
	}
	slices.SortFunc(long, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	for _, v := range long {
		s = strings.ReplaceAll(s, v, n.values[v])
	}
	return quotedLast4.ReplaceAllString(s, "…<last4>")
}

// quotedLast4 is a key's last four characters as error messages quote them.
var quotedLast4 = regexp.MustCompile(`…[0-9A-Za-z]{4}\b`)

// unnormalised matches what a golden file must not hold: a UUID (key,
// version and service account ids), an ARN, and a managed key name with its
// execution's short id.
var unnormalised = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}` +
	`|arn:aws[a-z-]*:` +
	`|ddrotate-[a-z0-9-]+-[0-9a-f]{10}\b`)

// longWord is a run of characters that a key value is made of, long enough
// to be one if it holds a digit (a long word without digits is prose).
var longWord = regexp.MustCompile(`[0-9A-Za-z_]{20,}`)
