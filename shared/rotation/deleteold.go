package rotation

import (
	"context"
	"slices"
)

// DeleteOld revokes the credential the rotation retired.
//
// In scheduled mode it deletes exactly the keys recorded as old when the
// rotation began. In compromise mode it deletes every key of the target that
// ddrotate manages (by name) or that any labelled version of the secret
// names, except the new one: a leaked key, and a key still in another
// rotation's grace period, both die. In both modes a key in AWSCURRENT is
// never deleted, and a key already gone counts as deleted.
func (s *Steps) DeleteOld(ctx context.Context, req StepRequest) (DeleteOldResult, error) {
	rec := req.Rotation
	res := DeleteOldResult{Revoked: []KeyRef{}}
	if err := rec.check(); err != nil {
		return res, err
	}
	st, err := s.describeTarget(ctx, rec.Target)
	if err != nil {
		return res, err
	}
	// For the admin target this is the new pair: the new deletes the old.
	dd, admin, err := s.keysClient(ctx)
	if err != nil {
		return res, err
	}
	protect, err := s.currentKeyIDs(ctx, st)
	if err != nil {
		return res, err
	}
	owner := appKeyOwner(st, admin.ServiceAccountID)

	var doomed []KeyRef
	if rec.Old.APIKeyID != "" {
		doomed = append(doomed, KeyRef{Type: "api", ID: rec.Old.APIKeyID, Last4: rec.Old.APIKeyLast4})
	}
	if rec.Old.AppKeyID != "" {
		doomed = append(doomed, KeyRef{Type: "app", ID: rec.Old.AppKeyID, Last4: rec.Old.AppKeyLast4})
	}
	if rec.Mode == ModeScheduled {
		for _, k := range doomed {
			if protect[k.ID] {
				return res, &RefusedError{Target: rec.Target, KeyID: k.ID, Reason: "it is in AWSCURRENT, so consumers still read it"}
			}
		}
	} else {
		more, err := s.compromisedKeys(ctx, dd, st, owner, rec.GraceVersionID)
		if err != nil {
			return res, err
		}
		doomed = append(doomed, more...)
	}

	keep := map[string]bool{rec.New.APIKeyID: true, rec.New.AppKeyID: true}
	for id := range protect {
		keep[id] = true
	}
	revoked, err := deleteRefs(ctx, dd, owner, doomed, keep)
	res.Revoked = append(res.Revoked, revoked...)
	if err != nil {
		return res, err
	}
	s.log().Info("old keys revoked", "step", "deleteold", "target", rec.Target, "mode", rec.Mode,
		"execution", rec.ExecutionID, "revoked", len(res.Revoked))
	return res, nil
}

// compromisedKeys lists, for a compromise rotation, every key of the target
// besides the recorded old ones: managed keys by name, and the keys that the
// secret's other labelled versions (AWSPREVIOUS, a stale AWSPENDING) name,
// and the version that was AWSPREVIOUS when the rotation began (graceVersion),
// whose keys may still be in an earlier rotation's grace period.
func (s *Steps) compromisedKeys(ctx context.Context, dd KeysAPI, st secretState, owner, graceVersion string) ([]KeyRef, error) {
	var keys []KeyRef
	apiKeys, err := dd.ListAPIKeys(ctx, managedKeyFilter(st.target.Name))
	if err != nil {
		return nil, datadogErr("list the target's API keys", err)
	}
	for _, k := range apiKeys {
		if IsManagedKeyName(st.target.Name, k.Name) {
			keys = append(keys, KeyRef{Type: "api", ID: k.ID, Name: k.Name, Last4: k.Last4})
		}
	}
	if st.target.Kind.hasAppKey() {
		appKeys, err := dd.ListAppKeys(ctx, owner, managedKeyFilter(st.target.Name))
		if err != nil {
			return nil, datadogErr("list the target's application keys", err)
		}
		for _, k := range appKeys {
			if IsManagedKeyName(st.target.Name, k.Name) {
				keys = append(keys, KeyRef{Type: "app", ID: k.ID, Name: k.Name, Last4: k.Last4})
			}
		}
	}
	versions := map[string]bool{}
	if graceVersion != "" {
		versions[graceVersion] = true
	}
	for label, v := range st.versionOf {
		if label != stageCurrent {
			versions[v] = true
		}
	}
	delete(versions, st.versionOf[stageCurrent])
	ordered := make([]string, 0, len(versions))
	for v := range versions {
		ordered = append(ordered, v)
	}
	slices.Sort(ordered)
	for _, v := range ordered {
		raw, found, err := s.getVersion(ctx, st.arn, v)
		if err != nil {
			return nil, err
		}
		if !found {
			continue
		}
		ids := readKeyIDs(raw)
		if ids.APIKeyID != "" {
			keys = append(keys, KeyRef{Type: "api", ID: ids.APIKeyID})
		}
		if ids.AppKeyID != "" {
			keys = append(keys, KeyRef{Type: "app", ID: ids.AppKeyID})
		}
	}
	return keys, nil
}
