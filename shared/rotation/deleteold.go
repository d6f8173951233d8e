package rotation

import (
	"context"
	"slices"
	"time"

	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// DeleteOld revokes the credential the rotation retired.
//
// In scheduled mode it deletes the keys recorded as old when the rotation
// began; those of the version that was then AWSPREVIOUS, when the rotation
// that retired them failed after Store and so never deleted them; and
// orphans: managed keys older than the new one that no label names, and
// twins left by a create that answered after its caller gave up.
//
// In compromise mode it deletes every key of the target that ddrotate manages
// (by name) or that any labelled version of the secret names, except the new
// one: a leaked key, and a key still in another rotation's grace period, both
// die.
//
// In both modes a key in AWSCURRENT or AWSPENDING (a rotation that started
// after this one's Store) is never deleted, and a key already gone counts as
// deleted.
func (s *Steps) DeleteOld(ctx context.Context, req StepRequest) (DeleteOldResult, error) {
	rec := req.Rotation
	res := DeleteOldResult{Revoked: []KeyRef{}}
	if err := s.trust(ctx, rec); err != nil {
		return res, err
	}
	st, err := s.describeTarget(ctx, rec.Target)
	if err != nil {
		return res, err
	}
	// The keys to retire and to keep come from the target's own versions:
	// the one this rotation replaced, and the one it staged.
	if rec.Old, rec.New, err = s.recordedKeys(ctx, st, rec); err != nil {
		return res, err
	}
	// For the admin target this is the new pair: the new deletes the old.
	r, err := s.newRun(ctx, st)
	if err != nil {
		return res, err
	}
	r.rec = rec
	keep, err := r.liveKeyIDs(ctx)
	if err != nil {
		return res, err
	}

	var doomed []KeyRef
	if rec.Old.APIKeyID != "" {
		doomed = append(doomed, KeyRef{Type: KeyTypeAPI, ID: rec.Old.APIKeyID, Last4: rec.Old.APIKeyLast4})
	}
	if rec.Old.AppKeyID != "" {
		doomed = append(doomed, KeyRef{Type: KeyTypeApp, ID: rec.Old.AppKeyID, Last4: rec.Old.AppKeyLast4})
	}
	if rec.Mode == ModeScheduled {
		for _, k := range doomed {
			if keep[k.ID] {
				return res, &RefusedError{Target: rec.Target, KeyID: k.ID, Reason: "it is in AWSCURRENT or AWSPENDING, so consumers read it or soon will"}
			}
		}
	}
	managed, err := r.managedKeys(ctx)
	if err != nil {
		return res, err
	}
	if rec.Mode == ModeScheduled {
		hold, err := r.holdIfInUse(ctx, doomed, managed)
		if err != nil || hold.Holding {
			return hold, err
		}
		res.HeldUntilMaxGrace = hold.HeldUntilMaxGrace
		doomed = hold.Revoked // the same keys, with their last use where it held them
	}
	versions := []string{rec.GraceVersionID}
	// Both modes sweep the target's managed keys for orphans: keys made
	// before the new one (in compromise mode all of them are suspect; in
	// scheduled mode no label names them any more), and any key bearing the
	// name of this execution or of the one that made the old credential
	// besides the keys those two rotations kept. Such a twin comes from a
	// create that Datadog completed after its caller had given up and made
	// the key again; if it lands after this rotation ends, the next one
	// deletes it under the old credential's name.
	doomed = append(doomed, madeBefore(managed, rec.New)...)
	for _, k := range managed {
		if k.Name == rec.KeyName || (rec.OldKeyName != "" && k.Name == rec.OldKeyName) {
			doomed = append(doomed, k)
		}
	}
	if rec.Mode == ModeCompromise {
		// Every labelled version but the live ones may hold the leaked key.
		// A staged version is a rotation in progress about to take the
		// lock: its keys made before ours are swept above as orphans
		// (that rotation read the secret before our Store and so gives way
		// when it sees AWSCURRENT moved), and keys made after ours were
		// never exposed; revoking them here could kill a key that becomes
		// current a moment later.
		for label, v := range st.versionOf {
			if label != stageCurrent && label != stagePending && label != stageStaged {
				versions = append(versions, v)
			}
		}
	}
	named, err := r.keysOfVersions(ctx, versions)
	if err != nil {
		return res, err
	}
	doomed = append(doomed, named...)

	keep[rec.New.APIKeyID], keep[rec.New.AppKeyID] = true, true
	if rec.Mode == ModeCompromise {
		// Forensics: when was each revoked key last used?
		doomed = r.withLastUse(ctx, doomed, managed)
	}
	revoked, err := r.deleteRefs(ctx, doomed, keep)
	res.Revoked = append(res.Revoked, revoked...)
	if err != nil {
		return res, err
	}
	s.log().Info("old keys revoked", "step", string(deploy.StepDeleteOld), "target", rec.Target, "mode", rec.Mode,
		"execution", rec.ExecutionID, "revoked", len(res.Revoked))
	return res, nil
}

// liveKeyIDs returns the ids of the keys in the target's AWSCURRENT and
// AWSPENDING versions: keys that consumers read, or that a rotation in
// progress is about to make current.
func (r *run) liveKeyIDs(ctx context.Context) (map[string]bool, error) {
	live, err := r.currentKeyIDs(ctx)
	if err != nil {
		return nil, err
	}
	pending, err := r.keysOfVersions(ctx, []string{r.st.versionOf[stagePending]})
	if err != nil {
		return nil, err
	}
	for _, k := range pending {
		live[k.ID] = true
	}
	return live, nil
}

// madeBefore keeps the keys made before this rotation's new ones. A key made
// after them belongs to a rotation that started after this one's Store (it
// could only take the lock then) and so was never exposed to the leak; it may
// already be verified and about to become current, so it must live.
func madeBefore(keys []KeyRef, fresh Keys) []KeyRef {
	cutoff := map[KeyType]time.Time{}
	for _, k := range keys {
		if k.ID == fresh.APIKeyID || k.ID == fresh.AppKeyID {
			cutoff[k.Type] = k.created
		}
	}
	var older []KeyRef
	for _, k := range keys {
		if c, ok := cutoff[k.Type]; !ok || k.created.Before(c) {
			older = append(older, k)
		}
	}
	return older
}

// managedKeys lists the target's API keys (and application keys, for kinds
// that have them) whose name ddrotate gave.
func (r *run) managedKeys(ctx context.Context) ([]KeyRef, error) {
	target := r.target()
	var keys []KeyRef
	apiKeys, err := r.dd.ListAPIKeys(ctx, managedKeyFilter(target.Name))
	if err != nil {
		return nil, datadogErr("list the target's API keys", err)
	}
	for _, k := range apiKeys {
		if IsManagedKeyName(target.Name, k.Name) {
			keys = append(keys, KeyRef{Type: KeyTypeAPI, ID: k.ID, Name: k.Name, Last4: k.Last4, created: k.CreatedAt, listedUse: k.LastUsed})
		}
	}
	if target.Kind.HasAppKey() {
		appKeys, err := r.dd.ListAppKeys(ctx, target.ServiceAccountID, managedKeyFilter(target.Name))
		if err != nil {
			return nil, datadogErr("list the target's application keys", err)
		}
		for _, k := range appKeys {
			if IsManagedKeyName(target.Name, k.Name) {
				keys = append(keys, KeyRef{Type: KeyTypeApp, ID: k.ID, Name: k.Name, Last4: k.Last4, created: k.CreatedAt})
			}
		}
	}
	return keys, nil
}

// keysOfVersions returns the keys that the given versions of the target's
// secret name (empty ids and AWSCURRENT are skipped; each version is read
// once).
func (r *run) keysOfVersions(ctx context.Context, versions []string) ([]KeyRef, error) {
	st := r.st
	var keys []KeyRef
	ordered := slices.Clone(versions)
	slices.Sort(ordered)
	ordered = slices.Compact(ordered)
	for _, v := range ordered {
		if v == "" || v == st.versionOf[stageCurrent] {
			continue
		}
		raw, found, err := r.getVersion(ctx, st.arn, v)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		ids := readKeyIDs(raw)
		if ids.APIKeyID != "" {
			keys = append(keys, KeyRef{Type: KeyTypeAPI, ID: ids.APIKeyID})
		}
		if ids.AppKeyID != "" {
			keys = append(keys, KeyRef{Type: KeyTypeApp, ID: ids.AppKeyID})
		}
	}
	return keys, nil
}

// holdIfInUse decides, in scheduled mode, whether the old keys may die now.
// A key that Datadog saw used after the new credential became current (plus
// the usage lag, since Datadog reports uses late), and recently (within the
// target's grace period, at most a day, at least the lag), still serves a
// consumer that has not switched: deleting it would break that consumer. Then
// nothing is deleted and the result is Holding, with when to look again,
// until the target's maximum grace period, after which the keys die anyway
// and the result says so. oldKeys are returned in Revoked, with their last
// use when one of them was in use.
func (r *run) holdIfInUse(ctx context.Context, oldKeys, managed []KeyRef) (DeleteOldResult, error) {
	res := DeleteOldResult{Revoked: oldKeys}
	if len(oldKeys) == 0 {
		return res, nil
	}
	since, ok := r.currentSince(managed)
	if !ok {
		// The new key is gone (a later compromise revoked it): a later
		// rotation owns the target now, and this one has nothing to wait for.
		return res, nil
	}
	checked := r.withLastUse(ctx, oldKeys, managed)
	now := r.now()
	lag := r.Config.OldKeyUsageLag
	quiet := max(lag, min(r.target().Grace, 24*time.Hour))
	var inUse []KeyRef
	for _, k := range checked {
		if k.LastUsed != nil && k.LastUsed.After(since.Add(lag)) && now.Sub(*k.LastUsed) < quiet {
			inUse = append(inUse, k)
		}
	}
	if len(inUse) == 0 {
		return res, nil
	}
	deadline := since.Add(r.target().MaxGrace)
	if !now.Before(deadline) {
		res.Revoked, res.HeldUntilMaxGrace = checked, true
		r.log().Warn("old keys still in use at the end of the maximum grace period; revoking them", "step", string(deploy.StepDeleteOld),
			"target", r.rec.Target, "execution", r.rec.ExecutionID, "in_use", len(inUse))
		return res, nil
	}
	// Look again after half the time since the switch (a backoff that
	// grows with the wait), between a quarter of an hour and a day, and no
	// later than the deadline.
	recheck := min(max(now.Sub(since)/2, 15*time.Minute), 24*time.Hour, deadline.Sub(now))
	recheck = max(recheck.Round(time.Second), time.Second)
	r.log().Info("old keys still in use; holding their deletion", "step", string(deploy.StepDeleteOld),
		"target", r.rec.Target, "execution", r.rec.ExecutionID, "in_use", len(inUse), "recheck_seconds", int(recheck.Seconds()))
	return DeleteOldResult{Revoked: []KeyRef{}, Holding: true, Held: inUse, RecheckSeconds: int(recheck.Seconds()), HoldUntil: &deadline}, nil
}

// currentSince is when the new credential was made, the moment from which
// consumers could switch: its API key's creation time, as the listing of
// the target's managed keys shows it; false if the key is not listed.
func (r *run) currentSince(managed []KeyRef) (time.Time, bool) {
	for _, k := range managed {
		if k.ID == r.rec.New.APIKeyID && !k.created.IsZero() {
			return k.created, true
		}
	}
	return time.Time{}, false
}

// withLastUse returns keys with the last use Datadog reports for each. A key
// already gone, or whose use cannot be read, is returned as it is: it is
// being deleted, and its use is only informative there.
func (r *run) withLastUse(ctx context.Context, keys, managed []KeyRef) []KeyRef {
	listed := map[string]time.Time{}
	for _, k := range managed {
		if k.Type == KeyTypeAPI {
			listed[k.ID] = k.listedUse
		}
	}
	out := slices.Clone(keys)
	looked := map[string]*time.Time{} // a key listed twice is asked about once
	for i, k := range out {
		if use, ok := looked[k.ID]; ok {
			out[i].LastUsed = use
			continue
		}
		var used time.Time
		var err error
		switch k.Type {
		case KeyTypeAPI:
			if use, ok := listed[k.ID]; ok {
				used = use
				break
			}
			var key datadog.APIKey
			key, err = r.dd.GetAPIKey(ctx, k.ID)
			used = key.LastUsed
		case KeyTypeApp:
			var key datadog.AppKey
			key, err = r.dd.GetOrgAppKey(ctx, k.ID)
			used = key.LastUsed
		}
		if err == nil && !used.IsZero() {
			out[i].LastUsed = &used
		}
		looked[k.ID] = out[i].LastUsed
	}
	return out
}
