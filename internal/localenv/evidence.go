package localenv

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// This file holds the invariants that are read from what the system did
// rather than from the state it left: the executions' histories, the
// Datadog emulator's call log and the SNS messages. State alone cannot tell
// a key that was never deleted from one that a step pretended to delete,
// or a step that created twice and cleaned up from one that created once.

// rotationRun is what one rotate-target execution did, read from its
// history as an operator would read GetExecutionHistory.
type rotationRun struct {
	x *asl.Execution
	// target and mode are read leniently from the input, as the
	// rotation-failed notification reads them; "" when absent.
	target string
	mode   rotation.Mode
	// rec is Create's output, when Create succeeded.
	rec *rotation.Record
	// revoked is what DeleteOld reported revoked, over all its runs;
	// deleteDone is set once a run of it ended without holding.
	revoked    []rotation.KeyRef
	deleteDone bool
	// storeDone is set when the Store state exited (succeeded).
	storeDone bool
	// graceInputs are the inputs the GracePeriod state was entered with.
	graceInputs []json.RawMessage
}

// rotationRuns reads every rotate-target execution (fleet children too).
func (e *Env) rotationRuns() []rotationRun {
	var runs []rotationRun
	for _, x := range e.Engine.Executions() {
		if x.StateMachineARN() != e.TargetMachineARN {
			continue
		}
		run := rotationRun{x: x}
		run.target, run.mode = lenientInput(x.Input())
		for _, ev := range x.History() {
			switch {
			case ev.State == "Create" && strings.HasSuffix(ev.Type, "StateExited"):
				var out struct {
					Rotation *rotation.Record `json:"rotation"`
				}
				if json.Unmarshal(ev.Output, &out) == nil && out.Rotation != nil {
					run.rec = out.Rotation
				}
			case ev.State == "Store" && strings.HasSuffix(ev.Type, "StateExited"):
				run.storeDone = true
			case ev.State == "GracePeriod" && strings.HasSuffix(ev.Type, "StateEntered"):
				run.graceInputs = append(run.graceInputs, ev.Input)
			case ev.State == "DeleteOld" && strings.HasSuffix(ev.Type, "StateExited"):
				var out struct {
					Deleted struct {
						Revoked rotation.DeleteOldResult `json:"revoked"`
					} `json:"deleted"`
				}
				// DeleteOld runs again after each hold; a holding run
				// revokes nothing and is not the end of it.
				if json.Unmarshal(ev.Output, &out) == nil {
					run.revoked = append(run.revoked, out.Deleted.Revoked.Revoked...)
					run.deleteDone = run.deleteDone || !out.Deleted.Revoked.Holding
				}
			}
		}
		runs = append(runs, run)
	}
	return runs
}

// lenientInput reads the target and mode an execution input names, even an
// input the rotation refuses; mode defaults to scheduled.
func lenientInput(raw []byte) (string, rotation.Mode) {
	var in struct {
		Target any `json:"target"`
		Mode   any `json:"mode"`
	}
	if json.Unmarshal(raw, &in) != nil {
		return "", ""
	}
	target, _ := in.Target.(string)
	mode, _ := in.Mode.(string)
	if mode == "" {
		mode = string(rotation.ModeScheduled)
	}
	return target, rotation.Mode(mode)
}

// createKind is "API" or "application": which kind of key a create made.
func createKind(c ddemu.Call) string {
	if c.Op == ddemu.CreateAPIKey {
		return "API"
	}
	return "application"
}

// counted reports whether a create is one its step could know of: it took
// effect before the caller's time bound ran out, so the caller either got
// its answer or, if the answer was lost, can find the key by its name (its
// retry looks). A create that took effect after the client gave up on it
// is the README's known limit: the retry cannot see it yet; invariant 2
// requires the key it made to be gone in the end.
func (e *Env) counted(c ddemu.Call) bool {
	return c.Created() && (e.datadogTimeout <= 0 || c.Latency < e.datadogTimeout)
}

// LateCreates counts the creates that took effect after their caller had
// given up on them (the README's known limit).
func (e *Env) LateCreates() int {
	n := 0
	for _, c := range e.Datadog.Calls() {
		if c.Created() && !e.counted(c) {
			n++
		}
	}
	return n
}

// isAppKeyDelete tells the operations that delete an application key.
func isAppKeyDelete(op string) bool {
	return op == ddemu.DeleteServiceAccountAppKey || op == ddemu.DeleteAppKey || op == ddemu.DeleteCurrentUserAppKey
}

// checkCreates is invariant 3 counted from Datadog's call log rather than
// from the keys that survive: an execution creates at most one API key (a
// retried Create finds the one it made by name and reads it back), and it
// creates an application key again only once the one it made before is
// gone (an application key's value is shown once, so a retried Create
// that lost it deletes it and makes another): never two at once. Every key
// made under a managed name was made by an execution of that name's target.
func (e *Env) checkCreates(runs []rotationRun, calls []ddemu.Call) []string {
	var bad []string
	byName := map[string]rotationRun{}
	for _, run := range runs {
		if run.target != "" {
			byName[rotation.KeyName(run.target, run.x.ARN())] = run
		}
	}
	apiKeys := map[string][]string{}   // execution → API keys it made
	outstanding := map[string]string{} // execution → its application key not yet deleted
	for _, c := range calls {
		if isAppKeyDelete(c.Op) && (c.Succeeded() || c.Status == 404) {
			for arn, id := range outstanding {
				if id == c.KeyID {
					delete(outstanding, arn)
				}
			}
			continue
		}
		if !c.Created() {
			continue
		}
		target, managed := managedTarget(e, c.KeyName)
		run, known := byName[c.KeyName]
		switch {
		case !managed:
			continue
		case !known:
			bad = append(bad, fmt.Sprintf("invariant 3: %s key %s named %s (target %s) was made by no execution of that target", createKind(c), c.KeyID, c.KeyName, target))
			continue
		case !e.counted(c):
			continue
		}
		arn := run.x.ARN()
		if c.Op == ddemu.CreateAPIKey {
			apiKeys[arn] = append(apiKeys[arn], c.KeyID)
			continue
		}
		if earlier := outstanding[arn]; earlier != "" {
			bad = append(bad, fmt.Sprintf("invariant 3: execution %s created application key %s while the application key %s it made before still existed", arn, c.KeyID, earlier))
		}
		outstanding[arn] = c.KeyID
	}
	for _, arn := range slices.Sorted(maps.Keys(apiKeys)) {
		if ids := apiKeys[arn]; len(ids) > 1 {
			bad = append(bad, fmt.Sprintf("invariant 3: execution %s created %d API keys (%s), want at most one", arn, len(ids), strings.Join(ids, ", ")))
		}
	}
	return bad
}

// liveKeys maps the id of every key the org has to its name, by kind.
func liveKeys(e *Env) (api, app map[string]string) {
	api, app = map[string]string{}, map[string]string{}
	for _, k := range e.Datadog.APIKeys() {
		api[k.ID] = k.Name
	}
	for _, k := range e.Datadog.AppKeys() {
		app[k.ID] = k.Name
	}
	return api, app
}

// checkRetired is invariant 6: once an execution has succeeded, every key
// it retired is gone from Datadog: the credential it replaced, every key
// DeleteOld reported revoked (whatever became of the execution after), and,
// in compromise mode, the keys of the version in its grace period when it
// began and every managed key of the target made before its new one. A
// DeleteOld that reports a key done without deleting it, or that counts a
// failed delete as done, leaves such a key alive.
func (e *Env) checkRetired(runs []rotationRun, calls []ddemu.Call) []string {
	var bad []string
	liveAPI, liveApp := liveKeys(e)
	alive := func(id string) bool {
		_, api := liveAPI[id]
		_, app := liveApp[id]
		return api || app
	}
	madeAt := map[string]int{} // key id → position of its create in the call log
	for i, c := range calls {
		if c.Created() {
			if _, seen := madeAt[c.KeyID]; !seen {
				madeAt[c.KeyID] = i
			}
		}
	}
	// madeBefore adds to retired the target's managed keys of one kind
	// made before fresh.
	madeBefore := func(retired map[string]string, live map[string]string, target, fresh string) {
		freshAt, ok := madeAt[fresh]
		if !ok {
			return // made outside the call log's time (it was reset)
		}
		for id, name := range live {
			if at, made := madeAt[id]; made && at < freshAt && rotation.IsManagedKeyName(target, name) {
				retired[id] = "managed key made before the compromise's new key"
			}
		}
	}
	for _, run := range runs {
		arn := run.x.ARN()
		for _, k := range run.revoked {
			if alive(k.ID) {
				bad = append(bad, fmt.Sprintf("invariant 6: execution %s: DeleteOld reported %s key %s revoked, but it still exists in Datadog", arn, k.Type, k.ID))
			}
		}
		if run.x.Status() != asl.StatusSucceeded || run.rec == nil {
			continue
		}
		rec := run.rec
		if !run.deleteDone {
			bad = append(bad, fmt.Sprintf("invariant 6: execution %s succeeded without DeleteOld", arn))
		}
		retired := map[string]string{rec.Old.APIKeyID: "old API key", rec.Old.AppKeyID: "old application key"}
		if rec.Mode == rotation.ModeCompromise {
			if v, ok := e.version(rec.Target, rec.GraceVersionID); ok {
				retired[v.APIKeyID], retired[v.AppKeyID] = "API key in grace when it began", "application key in grace when it began"
			}
			madeBefore(retired, liveAPI, rec.Target, rec.New.APIKeyID)
			if rec.New.AppKeyID != "" {
				madeBefore(retired, liveApp, rec.Target, rec.New.AppKeyID)
			}
		}
		delete(retired, "")
		for _, id := range slices.Sorted(maps.Keys(retired)) {
			if id == rec.New.APIKeyID || id == rec.New.AppKeyID {
				continue
			}
			if alive(id) {
				bad = append(bad, fmt.Sprintf("invariant 6: execution %s (%s, target %s) succeeded but its retired %s %s still exists in Datadog", arn, rec.Mode, rec.Target, retired[id], id))
			}
		}
	}
	return bad
}

// version returns the keys of one version of target's secret.
func (e *Env) version(target, versionID string) (storedKeys, bool) {
	if versionID == "" {
		return storedKeys{}, false
	}
	versions, err := e.AWS.SecretVersions(SecretPrefix + target)
	if err != nil {
		return storedKeys{}, false
	}
	for _, v := range versions {
		if v.VersionID == versionID {
			return readStored(v.SecretString), true
		}
	}
	return storedKeys{}, false
}

// keyOwners maps every key id the system knows to the target it belongs
// to: the keys every version of a target's secret names, and the keys made
// under a target's managed name. An id claimed by two targets maps to "".
func (e *Env) keyOwners(calls []ddemu.Call) map[string]string {
	owners := map[string]string{}
	claim := func(id, target string) {
		if id == "" {
			return
		}
		if prev, ok := owners[id]; ok && prev != target {
			owners[id] = ""
			return
		}
		owners[id] = target
	}
	for _, name := range e.order() {
		versions, _ := e.AWS.SecretVersions(SecretPrefix + name)
		for _, v := range versions {
			s := readStored(v.SecretString)
			claim(s.APIKeyID, name)
			claim(s.AppKeyID, name)
		}
	}
	for _, c := range calls {
		if target, ok := managedTarget(e, c.KeyName); ok && c.Created() {
			claim(c.KeyID, target)
		}
	}
	liveAPI, liveApp := liveKeys(e)
	for _, live := range []map[string]string{liveAPI, liveApp} {
		for id, name := range live {
			if target, ok := managedTarget(e, name); ok {
				claim(id, target)
			}
		}
	}
	return owners
}

// checkMessages is invariant 7: every notification belongs to the one
// target it names. Its message attributes are exactly target and event,
// equal to its body's; its secretArn is that target's secret, its versionId
// the version its execution stages for that target, its executionId an
// execution of that target in the mode it says, and every key id in it
// (new, old, revoked) a key of that target. A message naming no known
// target carries none of these.
func (e *Env) checkMessages(runs []rotationRun, calls []ddemu.Call) []string {
	var bad []string
	owners := e.keyOwners(calls)
	byARN := map[string]rotationRun{}
	for _, run := range runs {
		byARN[run.x.ARN()] = run
	}
	for i, m := range e.AWS.Published(e.TopicARN) {
		where := fmt.Sprintf("invariant 7: SNS message %d (%s)", i+1, m.MessageID)
		var msg rotation.Message
		if err := json.Unmarshal([]byte(m.Message), &msg); err != nil {
			bad = append(bad, fmt.Sprintf("%s: the body is not a notification: %v", where, err))
			continue
		}
		bad = append(bad, checkAttributes(where, m, msg)...)
		tg, known := e.Targets[msg.Target]
		ids := messageKeyIDs(msg)
		if !known {
			if msg.SecretARN != "" || msg.VersionID != "" || len(ids) > 0 {
				bad = append(bad, fmt.Sprintf("%s names target %q, which does not exist, yet carries a secretArn, versionId or key ids", where, msg.Target))
			}
			continue
		}
		if msg.SecretARN != "" && msg.SecretARN != tg.SecretARN {
			bad = append(bad, fmt.Sprintf("%s names target %s but its secretArn is %s", where, msg.Target, msg.SecretARN))
		}
		if msg.VersionID != "" && msg.VersionID != rotation.VersionToken(msg.Target, msg.ExecutionID) {
			bad = append(bad, fmt.Sprintf("%s names target %s but its versionId %s is not the version its execution stages for %s", where, msg.Target, msg.VersionID, msg.Target))
		}
		if run, ok := byARN[msg.ExecutionID]; !ok {
			bad = append(bad, fmt.Sprintf("%s names execution %s, which is not a rotate-target execution", where, msg.ExecutionID))
		} else {
			if run.target != msg.Target {
				bad = append(bad, fmt.Sprintf("%s names target %s but its execution %s rotates %q", where, msg.Target, msg.ExecutionID, run.target))
			}
			if msg.Mode != "" && msg.Mode != run.mode {
				bad = append(bad, fmt.Sprintf("%s says mode %s but its execution %s runs in %s mode", where, msg.Mode, msg.ExecutionID, run.mode))
			}
		}
		for _, id := range ids {
			if owner := owners[id]; owner != msg.Target {
				bad = append(bad, fmt.Sprintf("%s names target %s but carries key %s, which belongs to %s", where, msg.Target, id, ownerName(owner)))
			}
		}
	}
	return bad
}

func ownerName(owner string) string {
	if owner == "" {
		return "no single target"
	}
	return "target " + owner
}

// checkAttributes compares a message's attributes with its body.
func checkAttributes(where string, m awsemu.Message, msg rotation.Message) []string {
	var bad []string
	names := slices.Sorted(maps.Keys(m.Attributes))
	if !slices.Equal(names, []string{"event", "target"}) {
		bad = append(bad, fmt.Sprintf("%s has message attributes %v, want exactly event and target", where, names))
	}
	if got := m.Attributes["target"]; got != msg.Target {
		bad = append(bad, fmt.Sprintf("%s: attribute target is %q but the body's target is %q", where, got, msg.Target))
	}
	if got := m.Attributes["event"]; got != string(msg.Event) {
		bad = append(bad, fmt.Sprintf("%s: attribute event is %q but the body's event is %q", where, got, msg.Event))
	}
	return bad
}

// messageKeyIDs lists every key id a message carries.
func messageKeyIDs(msg rotation.Message) []string {
	var ids []string
	for _, k := range []*rotation.Keys{msg.NewKey, msg.OldKey} {
		if k != nil {
			ids = append(ids, k.APIKeyID, k.AppKeyID)
		}
	}
	for _, r := range slices.Concat(msg.Revoked, msg.InUse) {
		ids = append(ids, r.ID)
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return id == "" })
	sort.Strings(ids)
	return slices.Compact(ids)
}

// checkCompromiseWaits is invariant 8: a compromise execution's
// GracePeriod waits 0 s, as the deployed definition reads the state's
// input (the virtual clock may move meanwhile for other executions, so the
// event times cannot tell).
func (e *Env) checkCompromiseWaits(runs []rotationRun) []string {
	var bad []string
	for _, run := range runs {
		if run.mode != rotation.ModeCompromise || e.targetDefinition == nil {
			continue
		}
		for _, in := range run.graceInputs {
			d, err := e.targetDefinition.WaitDuration("GracePeriod", in, run.x.StartTime())
			switch {
			case err != nil:
				bad = append(bad, fmt.Sprintf("invariant 8: compromise execution %s: cannot read its GracePeriod wait: %v", run.x.ARN(), err))
			case d != 0:
				bad = append(bad, fmt.Sprintf("invariant 8: compromise execution %s waited %s in GracePeriod, want 0s", run.x.ARN(), d))
			}
		}
	}
	return bad
}

// checkValidatedBeforeStore is invariant 9: a credential becomes AWSCURRENT
// only after it validated. For every version an execution made current,
// the last verdict Datadog gave before the execution entered Store, on its
// API key (/api/v1/validate) and, with an application key, on the pair
// (/api/v2/validate_keys), was "valid". A verdict is a 2xx (valid) or a
// 401/403 (invalid); errors and unanswered calls are none.
func (e *Env) checkValidatedBeforeStore(runs []rotationRun, calls []ddemu.Call) []string {
	var bad []string
	for _, run := range runs {
		if run.rec == nil || run.target == "" {
			continue
		}
		v, ok := e.version(run.rec.Target, run.rec.PendingVersionID)
		if !ok || !(run.storeDone || e.hasStage(run.rec.Target, run.rec.PendingVersionID, "AWSCURRENT", "AWSPREVIOUS")) {
			continue
		}
		mark, marked := e.storeMark(run.x.ARN())
		if !marked {
			bad = append(bad, fmt.Sprintf("invariant 9: execution %s made version %s current without entering Store", run.x.ARN(), run.rec.PendingVersionID))
			continue
		}
		if mark > len(calls) {
			continue // the call log was reset since
		}
		before := calls[:mark]
		if verdict := lastVerdict(before, ddemu.ValidateAPIKey, v.APIKeyID, ""); verdict != "valid" {
			bad = append(bad, fmt.Sprintf("invariant 9: execution %s stored API key %s (target %s), whose last validation before Store was %s", run.x.ARN(), v.APIKeyID, run.rec.Target, verdict))
		}
		if v.AppKeyID != "" {
			if verdict := lastVerdict(before, ddemu.ValidateKeys, v.APIKeyID, v.AppKeyID); verdict != "valid" {
				bad = append(bad, fmt.Sprintf("invariant 9: execution %s stored the pair API key %s + application key %s (target %s), whose last validation before Store was %s", run.x.ARN(), v.APIKeyID, v.AppKeyID, run.rec.Target, verdict))
			}
		}
	}
	return bad
}

// lastVerdict is "valid", "invalid" or "missing": the last answer of op on
// the keys presented.
func lastVerdict(calls []ddemu.Call, op, apiKeyID, appKeyID string) string {
	for i := len(calls) - 1; i >= 0; i-- {
		c := calls[i]
		if c.Op != op || c.APIKeyID != apiKeyID || (appKeyID != "" && c.AppKeyID != appKeyID) {
			continue
		}
		switch {
		case c.Succeeded():
			return "valid"
		case c.Status == 401 || c.Status == 403:
			return fmt.Sprintf("invalid (%d)", c.Status)
		}
	}
	return "missing"
}

// hasStage reports whether the version carries one of the stages.
func (e *Env) hasStage(target, versionID string, stages ...string) bool {
	versions, _ := e.AWS.SecretVersions(SecretPrefix + target)
	for _, v := range versions {
		if v.VersionID == versionID {
			for _, s := range stages {
				if slices.Contains(v.Stages, s) {
					return true
				}
			}
		}
	}
	return false
}

// markStore records, as an execution enters Store, how far the Datadog
// call log had got: the validations Store's decision rests on are before it.
func (e *Env) markStore(x *asl.Execution) {
	if e.Datadog == nil {
		return
	}
	n := len(e.Datadog.Calls())
	e.marksMu.Lock()
	defer e.marksMu.Unlock()
	if e.storeMarks == nil {
		e.storeMarks = map[string]int{}
	}
	if _, ok := e.storeMarks[x.ARN()]; !ok {
		e.storeMarks[x.ARN()] = n
	}
}

func (e *Env) storeMark(arn string) (int, bool) {
	e.marksMu.Lock()
	defer e.marksMu.Unlock()
	n, ok := e.storeMarks[arn]
	return n, ok
}
