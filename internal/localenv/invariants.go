package localenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// order returns target names sorted, for stable reports.
func (e *Env) order() []string {
	names := make([]string, 0, len(e.Targets))
	for n := range e.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// storedKeys is what one secret version holds, read leniently.
type storedKeys struct {
	APIKey, APIKeyID, AppKey, AppKeyID string
}

func readStored(raw string) storedKeys {
	var v struct {
		APIKey        string `json:"apiKey"`
		APIKeyID      string `json:"apiKeyId"`
		AppKey        string `json:"appKey"`
		AppKeyID      string `json:"appKeyId"`
		AdminAPIKey   string `json:"adminApiKey"`
		AdminAPIKeyID string `json:"adminApiKeyId"`
		AdminAppKey   string `json:"adminAppKey"`
		AdminAppKeyID string `json:"adminAppKeyId"`
	}
	_ = json.Unmarshal([]byte(raw), &v)
	if v.APIKey == "" {
		return storedKeys{v.AdminAPIKey, v.AdminAPIKeyID, v.AdminAppKey, v.AdminAppKeyID}
	}
	return storedKeys{v.APIKey, v.APIKeyID, v.AppKey, v.AppKeyID}
}

// labelled returns the keys of the version of target's secret carrying stage.
func (e *Env) labelled(target, stage string) (storedKeys, string, bool) {
	versions, err := e.AWS.SecretVersions(SecretPrefix + target)
	if err != nil {
		return storedKeys{}, "", false
	}
	for _, v := range versions {
		if slices.Contains(v.Stages, stage) {
			return readStored(v.SecretString), v.VersionID, true
		}
	}
	return storedKeys{}, "", false
}

// CurrentVersion is the version id carrying AWSCURRENT for target.
func (e *Env) CurrentVersion(target string) string {
	_, v, _ := e.labelled(target, "AWSCURRENT")
	return v
}

// storeState is the rotate-target definition's Store state.
const storeState = "Store"

// CheckInvariants checks, when no execution is running, the README's
// invariants 1-3 and 6-9 (4, the leak scan, is Leaks; 5 needs the state
// before the execution, which the caller has), and that no lock is left
// behind. 1 and 2 are read from the state the emulators hold; 3 and 6-9
// from what the system did: the executions' histories, the Datadog call
// log and the SNS messages. It returns one line per violation, each
// starting with the invariant's number.
func (e *Env) CheckInvariants(ctx context.Context) []string {
	var bad []string
	for _, x := range e.Engine.Executions() {
		if x.Status() == asl.StatusRunning {
			return []string{"an execution is still running: " + x.ARN()}
		}
	}
	allowed := map[string]string{} // key id → target
	for _, name := range e.order() {
		cur, _, ok := e.labelled(name, "AWSCURRENT")
		if !ok {
			bad = append(bad, fmt.Sprintf("invariant 1: target %s has no AWSCURRENT", name))
			continue
		}
		// Invariant 1: the current credential works.
		if !e.Datadog.APIKeyValid(cur.APIKey) {
			bad = append(bad, fmt.Sprintf("invariant 1: target %s: AWSCURRENT API key %s does not validate", name, cur.APIKeyID))
		}
		if cur.AppKey != "" && !e.Datadog.AppKeyValid(cur.AppKey) {
			bad = append(bad, fmt.Sprintf("invariant 1: target %s: AWSCURRENT application key %s does not validate", name, cur.AppKeyID))
		}
		allowed[cur.APIKeyID], allowed[cur.AppKeyID] = name, name
		if prev, _, ok := e.labelled(name, "AWSPREVIOUS"); ok {
			allowed[prev.APIKeyID], allowed[prev.AppKeyID] = name, name
		}
		if _, v, ok := e.labelled(name, "AWSPENDING"); ok {
			bad = append(bad, fmt.Sprintf("lock: target %s: AWSPENDING left on version %s with no execution running", name, v))
		}
	}
	// Invariants 2 and 3: every key an execution created is current (or
	// previous, kept for its grace period), and at most one per execution.
	perName := map[string]int{}
	check := func(kind, id, name string) {
		target, managed := managedTarget(e, name)
		if !managed {
			return
		}
		perName[kind+" "+name]++
		if perName[kind+" "+name] > 1 {
			bad = append(bad, fmt.Sprintf("invariant 3: more than one %s key named %s", kind, name))
		}
		if allowed[id] != target {
			bad = append(bad, fmt.Sprintf("invariant 2: %s key %s (%s) of target %s survives but is neither AWSCURRENT nor AWSPREVIOUS", kind, id, name, target))
		}
	}
	for _, k := range e.Datadog.APIKeys() {
		check("API", k.ID, k.Name)
	}
	for _, k := range e.Datadog.AppKeys() {
		check("application", k.ID, k.Name)
	}
	runs, calls := e.rotationRuns(), e.Datadog.Calls()
	bad = append(bad, e.checkCreates(runs, calls)...)
	bad = append(bad, e.checkRetired(runs, calls)...)
	bad = append(bad, e.checkMessages(runs, calls)...)
	bad = append(bad, e.checkCompromiseWaits(runs)...)
	bad = append(bad, e.checkValidatedBeforeStore(runs, calls)...)
	return bad
}

// managedTarget returns the target whose managed key name this is.
func managedTarget(e *Env, name string) (string, bool) {
	for target := range e.Targets {
		if rotation.IsManagedKeyName(target, name) {
			return target, true
		}
	}
	return "", false
}

// KeyValues returns every key value the emulators hold or have held in a
// secret version: the needles a leak scan looks for.
func (e *Env) KeyValues() []string {
	seen := map[string]bool{}
	add := func(v string) {
		if len(v) >= 32 {
			seen[v] = true
		}
	}
	for _, k := range e.Datadog.APIKeys() {
		add(k.Key)
	}
	for _, k := range e.Datadog.AppKeys() {
		add(k.Key)
	}
	for _, v := range e.Datadog.AllKeyValues() {
		add(v)
	}
	for name := range e.Targets {
		versions, _ := e.AWS.SecretVersions(SecretPrefix + name)
		for _, v := range versions {
			s := readStored(v.SecretString)
			add(s.APIKey)
			add(s.AppKey)
		}
	}
	add(e.Admin.APIKey)
	add(e.Admin.AppKey)
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// Leaks returns, for each text in which a key value appears, a line naming
// where (never the value itself).
func Leaks(values []string, texts map[string]string) []string {
	var hits []string
	for where, text := range texts {
		for _, v := range values {
			if len(v) >= 16 && strings.Contains(text, v) { // shorter values are not keys
				hits = append(hits, fmt.Sprintf("a key value (…%s) appears in %s", v[len(v)-4:], where))
			}
		}
	}
	sort.Strings(hits)
	return hits
}

// EmittedTexts gathers everything the system emitted that a key value must
// never reach: every execution's history (inputs, outputs, errors, causes),
// every SNS message, and the emulators' call logs. Step logs are added by
// the caller, who owns their buffer.
func (e *Env) EmittedTexts() map[string]string {
	texts := map[string]string{}
	for _, x := range e.Engine.Executions() {
		h, _ := json.Marshal(x.History())
		texts["history of "+x.ARN()] = string(h) + x.Error() + x.Cause() + string(x.Output())
	}
	msgs, _ := json.Marshal(e.AWS.Published(e.TopicARN))
	texts["SNS messages"] = string(msgs)
	ddCalls, _ := json.Marshal(e.Datadog.Calls())
	texts["Datadog emulator call log"] = string(ddCalls)
	awsCalls, _ := json.Marshal(e.AWS.Calls())
	texts["AWS emulator call log"] = string(awsCalls)
	return texts
}

// KeyIDs identifies a target's current keys by id and last4.
type KeyIDs struct {
	APIKeyID, APIKeyLast4, AppKeyID, AppKeyLast4 string
}

// CurrentKeys returns the ids and last4s of target's AWSCURRENT keys.
func (e *Env) CurrentKeys(target string) (KeyIDs, bool) {
	s, _, ok := e.labelled(target, "AWSCURRENT")
	if !ok {
		return KeyIDs{}, false
	}
	return KeyIDs{APIKeyID: s.APIKeyID, APIKeyLast4: last4(s.APIKey), AppKeyID: s.AppKeyID, AppKeyLast4: last4(s.AppKey)}, true
}

func last4(v string) string {
	if len(v) < 16 {
		return ""
	}
	return v[len(v)-4:]
}

// KeyExists reports whether the Datadog org still has the API or
// application key with this id.
func (e *Env) KeyExists(id string) bool {
	for _, k := range e.Datadog.APIKeys() {
		if k.ID == id {
			return true
		}
	}
	for _, k := range e.Datadog.AppKeys() {
		if k.ID == id {
			return true
		}
	}
	return false
}

// UseKey makes a consumer's call to Datadog with the keys of the version of
// target's secret that carries stage (AWSCURRENT: a team that switched;
// AWSPREVIOUS: one that still uses its old key), as a team's service would:
// GET /api/v1/validate, and /api/v2/validate_keys when there is an
// application key. Datadog then reports the key as used.
func (e *Env) UseKey(ctx context.Context, target, stage string) error {
	keys, version, ok := e.labelled(target, stage)
	if !ok {
		return fmt.Errorf("target %s has no %s version", target, stage)
	}
	call := func(path string, headers map[string]string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.DatadogURL+path, nil)
		if err != nil {
			return err
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("target %s, version %s: %s answered %d", target, version, path, resp.StatusCode)
		}
		return nil
	}
	if err := call("/api/v1/validate", map[string]string{ddemu.HeaderAPIKey: keys.APIKey}); err != nil {
		return err
	}
	if keys.AppKey == "" {
		return nil
	}
	return call("/api/v2/validate_keys", map[string]string{ddemu.HeaderAPIKey: keys.APIKey, ddemu.HeaderAppKey: keys.AppKey})
}
