package rotation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Create takes the target's lock, creates the new key(s) in Datadog and
// stages them as the target's AWSPENDING version, whose id is derived from
// the execution so that a retry finds it instead of creating again.
//
// The order matters. An application key's value is shown once, so the new
// credential is written to Secrets Manager straight after the keys are
// made; only then is AWSPENDING taken, with UpdateSecretVersionStage, which
// fails if another execution took it first. The loser deletes its keys.
func (s *Steps) Create(ctx context.Context, req CreateRequest) (Record, error) {
	in, err := ParseInput(req.Input)
	if err != nil {
		return Record{}, err
	}
	if err := s.checkExecution(ctx, req.ExecutionID, in.Target); err != nil {
		return Record{}, err
	}
	st, err := s.describeTarget(ctx, in.Target)
	if err != nil {
		return Record{}, err
	}
	r, err := s.newRun(ctx, st)
	if err != nil {
		return Record{}, err
	}
	cur, err := r.readCurrent(ctx, in, req.ExecutionID)
	if err != nil {
		return Record{}, err
	}
	r.rec.Retried = req.Attempt > 0
	rec := &r.rec
	log := s.log().With("step", string(deploy.StepCreate), "target", rec.Target, "mode", rec.Mode, "execution", rec.ExecutionID)

	if holder := r.st.versionOf[stagePending]; holder == rec.PendingVersionID {
		log.Info("resuming: this execution already holds AWSPENDING")
		return r.resumeStaged(ctx)
	} else if holder != "" {
		if err := r.releaseStaleLock(ctx, holder); err != nil {
			return Record{}, err
		}
	}
	if err := r.checkAdminScopes(ctx); err != nil {
		return Record{}, r.retryIfReplaced(ctx, err)
	}
	if rec.Mode == ModeScheduled {
		if err := r.validateCurrent(ctx, cur.keys()); err != nil {
			return Record{}, r.retryIfReplaced(ctx, err)
		}
	}
	if err := r.checkAppKeyOwner(ctx, cur.keys()); err != nil {
		return Record{}, r.retryIfReplaced(ctx, err)
	}
	if rec.Retried {
		// An earlier attempt may have written our version and lost the
		// answer, or lost the race for the lock after writing it.
		if _, found, err := s.getVersion(ctx, r.st.arn, rec.PendingVersionID); err != nil {
			return Record{}, err
		} else if found {
			if err := r.takeLock(ctx, keySet{}); err != nil {
				return Record{}, err
			}
			return r.resumeStaged(ctx)
		}
	}

	fresh, err := r.createKeys(ctx, cur)
	if err != nil {
		return Record{}, r.retryIfReplaced(ctx, err)
	}
	secretString, err := cur.withKeys(fresh, credential.Metadata{KeyName: rec.KeyName, RotatedAt: s.now(), ExecutionID: rec.ExecutionID})
	if err != nil {
		return Record{}, r.withCleanup(ctx, &SecretError{SecretID: r.st.arn, Stage: stagePending, Err: err}, fresh)
	}
	_, err = s.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(r.st.arn),
		ClientRequestToken: aws.String(rec.PendingVersionID),
		SecretString:       aws.String(secretString),
		VersionStages:      []string{stageStaged},
	})
	if err != nil {
		if isAWSError[*smtypes.ResourceExistsException](err) {
			// An earlier attempt wrote this version with another app key,
			// whose value only that version holds: keep it, drop ours.
			if delErr := r.deleteKeys(ctx, keySet{AppKey: fresh.AppKey, AppKeyID: fresh.AppKeyID}); delErr != nil {
				return Record{}, delErr
			}
			if err := r.takeLock(ctx, keySet{}); err != nil {
				return Record{}, err
			}
			return r.resumeStaged(ctx)
		}
		// The write may have happened with its answer lost: the keys stay,
		// found by name on retry, or deleted by Rollback.
		return Record{}, awsErr("put pending secret value", err)
	}
	if err := r.takeLock(ctx, fresh); err != nil {
		return Record{}, err
	}
	rec.New = fresh.ids()
	log.Info("staged new credential", "new_api_key_id", rec.New.APIKeyID, "new_api_key_last4", rec.New.APIKeyLast4,
		"new_app_key_id", rec.New.AppKeyID, "version", rec.PendingVersionID)
	return *rec, nil
}

// readCurrent reads and checks the target's AWSCURRENT credential and starts
// the rotation's Record (r.rec) from it.
func (r *run) readCurrent(ctx context.Context, in Input, executionID string) (value, error) {
	st := r.st
	currentVersion := st.versionOf[stageCurrent]
	if currentVersion == "" {
		return value{}, &SecretError{SecretID: st.arn, Stage: stageCurrent, Err: errNoValueYet}
	}
	raw, found, err := r.getVersion(ctx, st.arn, currentVersion)
	if err != nil {
		return value{}, err
	}
	if !found {
		return value{}, &ConflictError{Target: in.Target, Problem: "the AWSCURRENT version disappeared while reading it"}
	}
	if uninitialized(raw) {
		return value{}, &SecretError{SecretID: st.arn, Stage: stageCurrent, Err: errPlaceholder}
	}
	cur, err := parseValue(st.target, raw)
	if err != nil {
		return value{}, &SecretError{SecretID: st.arn, Stage: stageCurrent, Err: err}
	}
	if cur.site() != r.admin.Site {
		return value{}, &SecretError{SecretID: st.arn, Stage: stageCurrent, Err: &credential.FieldError{Field: "site",
			Problem: fmt.Sprintf("is %s but the admin credential's site is %s; ddrotate never sends a key to another site", cur.site(), r.admin.Site)}}
	}
	target := st.target
	rec := Record{
		Target:            target.Name,
		Kind:              target.Kind,
		Mode:              in.Mode,
		SecretARN:         st.arn,
		ExecutionID:       executionID,
		KeyName:           KeyName(target.Name, executionID),
		OldKeyName:        managedNameOf(target.Name, cur),
		PendingVersionID:  VersionToken(target.Name, executionID),
		PreviousVersionID: currentVersion,
		ServiceAccountID:  target.ServiceAccountID,
		Old:               cur.keys().ids(),
	}
	if in.Mode == ModeScheduled {
		rec.GraceSeconds = int(target.Grace.Seconds())
	}
	rec.GraceVersionID, err = r.orphanableVersion(ctx, in.Mode, raw)
	if err != nil {
		return value{}, err
	}
	r.rec = rec
	return cur, nil
}

// managedNameOf is the key name the credential's metadata records, if it
// is a name ddrotate gives to keys of this target.
func managedNameOf(target string, v value) string {
	name := v.team.KeyName
	if v.kind == deploy.KindAdmin {
		name = v.admin.KeyName
	}
	if !IsManagedKeyName(target, name) {
		return ""
	}
	return name
}

// orphanableVersion returns the version that is AWSPREVIOUS as the rotation
// begins if this rotation's DeleteOld must delete its keys too: always in
// compromise mode (they may be the leaked ones); in scheduled mode only when
// the execution that retired them (the one that wrote AWSCURRENT, named in
// its metadata) ended without succeeding, since a rotation that failed after
// Store leaves its old key alive and nobody else would delete it. A running
// one deletes them itself at the end of its grace period, a successful one
// already has, and a version ddrotate did not write is left alone.
func (r *run) orphanableVersion(ctx context.Context, mode Mode, currentRaw string) (string, error) {
	grace := r.st.versionOf[stagePrevious]
	if grace == "" || mode == ModeCompromise {
		return grace, nil
	}
	retiring := holderOf(currentRaw)
	if retiring == "" {
		return "", nil
	}
	status, err := r.executionStatus(ctx, retiring)
	if err != nil {
		return "", err
	}
	switch status {
	case sfntypes.ExecutionStatusRunning, sfntypes.ExecutionStatusPendingRedrive, sfntypes.ExecutionStatusSucceeded:
		return "", nil
	}
	return grace, nil
}

// checkAdminScopes makes sure, before anything changes, that the admin
// application key holds every scope the rotation will use: a key that could
// create but not delete would otherwise make the new key current and then
// fail to revoke the old one, which after a leak is the one that matters.
func (r *run) checkAdminScopes(ctx context.Context) error {
	k, err := r.dd.GetOrgAppKey(ctx, r.admin.AppKeyID)
	if err != nil {
		return datadogErr("read the admin application key's scopes", err)
	}
	if k.OwnerID != r.admin.ServiceAccountID {
		return &OwnershipError{Target: r.Config.AdminSecretID, KeyID: k.ID, Owner: k.OwnerID, Want: r.admin.ServiceAccountID}
	}
	if k.Scopes == nil {
		return nil // unscoped: it has every permission of its service account
	}
	for _, scope := range adminScopes {
		if !slices.Contains(k.Scopes, scope) {
			return &DatadogError{Op: "check the admin application key", Err: fmt.Errorf("it lacks the scope %s that rotation needs; create an admin application key with the scopes %s", scope, strings.Join(adminScopes, ", "))}
		}
	}
	return nil
}

// validateCurrent proves, in scheduled mode, that the key consumers use now
// works: a routine rotation must never be what breaks a target.
func (r *run) validateCurrent(ctx context.Context, ks keySet) error {
	check := func(err error) error {
		if err == nil {
			return nil
		}
		if datadog.IsTransient(err) {
			return &TransientError{Op: "validate current key", Err: err}
		}
		return &CurrentKeyInvalidError{Target: r.rec.Target, KeyID: ks.APIKeyID, Last4: ks.APIKey.Last4(), Reason: err.Error()}
	}
	if err := check(r.dd.ValidateAPIKey(ctx, ks.APIKey)); err != nil {
		return err
	}
	if ks.AppKey.IsZero() {
		return nil
	}
	return check(r.dd.ValidateKeys(ctx, ks.APIKey, ks.AppKey))
}

// createKeys makes the new API key and, for targets with one, the new
// application key with the old one's scopes. On a retry (rec.Retried) it
// first looks for what an earlier attempt made under the same name: an API
// key is reused (its value can be read back), an application key is deleted
// and made again (its value was shown once, to the attempt that made it).
func (r *run) createKeys(ctx context.Context, cur value) (keySet, error) {
	dd, target, rec := r.dd, r.target(), r.rec
	var fresh keySet
	if rec.Retried {
		found, err := r.findAPIKeys(ctx, rec.KeyName)
		if err != nil {
			return keySet{}, err
		}
		for i, k := range found {
			if i == 0 {
				got, err := dd.GetAPIKey(ctx, k.ID)
				if err != nil {
					return keySet{}, datadogErr("read back new API key "+k.ID, err)
				}
				fresh.APIKey, fresh.APIKeyID = got.Key, got.ID
				continue
			}
			// A duplicate from a create whose answer was lost and retried.
			if err := datadog.IgnoreNotFound(dd.DeleteAPIKey(ctx, k.ID)); err != nil {
				return keySet{}, datadogErr("delete duplicate API key "+k.ID, err)
			}
		}
	}
	if fresh.APIKeyID == "" {
		k, err := dd.CreateAPIKey(ctx, rec.KeyName)
		if err != nil {
			return keySet{}, datadogErr("create API key", err)
		}
		fresh.APIKey, fresh.APIKeyID = k.Key, k.ID
	}
	if !target.Kind.HasAppKey() {
		return fresh, nil
	}
	old := cur.keys()
	scopes, err := r.inheritedScopes(ctx, old)
	if err != nil {
		return keySet{}, r.withCleanup(ctx, err, fresh)
	}
	if rec.Retried {
		found, err := r.findAppKeys(ctx, rec.KeyName)
		if err != nil {
			return keySet{}, err
		}
		for _, k := range found {
			if err := datadog.IgnoreNotFound(dd.DeleteAppKey(ctx, target.ServiceAccountID, k.ID)); err != nil {
				return keySet{}, datadogErr("delete unstored application key "+k.ID, err)
			}
		}
	}
	app, err := dd.CreateAppKey(ctx, target.ServiceAccountID, rec.KeyName, scopes)
	if err != nil {
		// The API key stays: a retry reuses it, a rollback deletes it.
		return keySet{}, datadogErr("create application key", err)
	}
	fresh.AppKey, fresh.AppKeyID, fresh.Scopes = app.Key, app.ID, scopes
	return fresh, nil
}

// adminScopes are what the admin credential's application key needs: the
// Secrets Manager "Datadog Admin Key" scopes plus api_keys_read, which
// ddrotate needs to find its own keys again on retry.
var adminScopes = []string{"api_keys_read", "api_keys_write", "api_keys_delete", "org_app_keys_read", "org_app_keys_write", "service_account_write"}

// inheritedScopes returns the scopes the new application key gets: for a
// team, those of the key it replaces, as the secret records them or, failing
// that, as Datadog does, so a new key never gets wider scopes than the old
// one had; for the admin credential, exactly the scopes ddrotate needs.
// checkAppKeyOwner refuses (OwnershipError) to rotate an application key
// that its target's service account does not own, before anything changes.
// It keeps the key it read: its scopes are the ones the new key inherits
// when the secret records none.
func (r *run) checkAppKeyOwner(ctx context.Context, cur keySet) error {
	target := r.target()
	if !target.Kind.HasAppKey() || cur.AppKeyID == "" {
		return nil
	}
	k, err := r.dd.GetOrgAppKey(ctx, cur.AppKeyID)
	if datadog.IsNotFound(err) {
		// Already revoked (a compromise of a dead key): nobody owns it
		// any more, and there is nothing of it to delete.
		return nil
	}
	if err != nil {
		return datadogErr("read the owner of application key "+cur.AppKeyID, err)
	}
	if k.OwnerID != target.ServiceAccountID {
		return &OwnershipError{Target: target.Name, KeyID: k.ID, Owner: k.OwnerID, Want: target.ServiceAccountID}
	}
	r.currentAppKey = &k
	return nil
}

func (r *run) inheritedScopes(ctx context.Context, old keySet) ([]string, error) {
	target := r.target()
	if target.Kind == deploy.KindAdmin {
		// The admin key's scopes are fixed by what ddrotate calls; asking
		// Datadog for the old key's would cost a call every rotation.
		return adminScopes, nil
	}
	if len(old.Scopes) > 0 {
		return old.Scopes, nil
	}
	if k := r.currentAppKey; k != nil && k.ID == old.AppKeyID {
		return k.Scopes, nil
	}
	k, err := r.dd.GetAppKey(ctx, target.ServiceAccountID, old.AppKeyID)
	if err == nil {
		return k.Scopes, nil
	}
	if datadog.IsNotFound(err) {
		return nil, &DatadogError{Op: "read scopes of application key " + old.AppKeyID,
			Err: errors.New("the current application key no longer exists and the secret records no scopes; put the scopes in the secret's \"scopes\" field")}
	}
	return nil, datadogErr("read scopes of application key "+old.AppKeyID, err)
}

// takeLock moves AWSPENDING onto this execution's version. Secrets Manager
// refuses the move when another version carries the label, so of two
// executions racing for one target exactly one gets it; the other deletes
// the keys it made (fresh) and reports the rotation in progress.
func (r *run) takeLock(ctx context.Context, fresh keySet) error {
	rec := r.rec
	_, err := r.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:        aws.String(r.st.arn),
		VersionStage:    aws.String(stagePending),
		MoveToVersionId: aws.String(rec.PendingVersionID),
	})
	if err == nil {
		if err := r.refresh(ctx); err != nil {
			return err
		}
		return r.checkCurrentUnmoved(ctx, fresh)
	}
	if !isAWSError[*smtypes.InvalidParameterException](err) {
		return awsErr("take AWSPENDING", err)
	}
	if err := r.refresh(ctx); err != nil {
		return err
	}
	if r.st.versionOf[stagePending] == rec.PendingVersionID {
		// Our earlier request took it and its answer was lost.
		return r.checkCurrentUnmoved(ctx, fresh)
	}
	holder := "another execution"
	if v := r.st.versionOf[stagePending]; v != "" {
		if raw, found, _ := r.getVersion(ctx, r.st.arn, v); found && holderOf(raw) != "" {
			holder = holderOf(raw)
		}
	}
	return r.withCleanup(ctx, &RotationInProgressError{Target: rec.Target, HolderExecution: holder}, fresh)
}

// retryIfReplaced turns a failure of Create's preparation into a
// TransientError when another rotation replaced, meanwhile, what this
// attempt read: the target's AWSCURRENT (its current key may then be revoked
// already, or its application key, whose scopes the new one inherits, gone)
// or the admin credential it acts with (a revoked admin key answers 403).
// The state machine's retry then starts again from what is current now,
// instead of failing a rotation that only lost a race. Other failures, and
// any failure while nothing moved, are returned as they are.
func (r *run) retryIfReplaced(ctx context.Context, err error) error {
	var datadogErr *DatadogError
	var invalidErr *CurrentKeyInvalidError
	if !errors.As(err, &datadogErr) && !errors.As(err, &invalidErr) {
		return err
	}
	if r.refresh(ctx) != nil {
		return err
	}
	replaced := r.st.versionOf[stageCurrent] != r.rec.PreviousVersionID
	if !replaced && r.target().Kind != deploy.KindAdmin {
		admin, adminErr := r.adminCredential(ctx)
		replaced = adminErr == nil && (admin.APIKeyID != r.admin.APIKeyID || admin.AppKeyID != r.admin.AppKeyID)
	}
	if !replaced {
		return err
	}
	return &TransientError{Op: "prepare the rotation", Err: fmt.Errorf("another rotation replaced the credential this attempt read; retrying from the current one: %w", err)}
}

// checkCurrentUnmoved makes sure, once this execution holds AWSPENDING,
// that AWSCURRENT is still the version it read: if another rotation of the
// target completed while this one prepared, this one gives way (releasing
// its lock and deleting its keys) instead of failing later at Store.
func (r *run) checkCurrentUnmoved(ctx context.Context, fresh keySet) error {
	if r.st.versionOf[stageCurrent] == r.rec.PreviousVersionID {
		return nil
	}
	if err := r.releasePending(ctx, r.st, r.rec.PendingVersionID); err != nil {
		return err
	}
	return r.withCleanup(ctx, &RotationInProgressError{Target: r.rec.Target, HolderExecution: "a rotation that completed while this one prepared"}, fresh)
}

// withCleanup deletes the keys this attempt made (fresh) and returns err
// unchanged: err's type is what the state machine matches on. Keys that
// cannot be deleted now are found again by name by Rollback.
func (r *run) withCleanup(ctx context.Context, err error, fresh keySet) error {
	if cleanupErr := r.deleteKeys(ctx, fresh); cleanupErr != nil {
		r.log().Warn("could not delete this attempt's keys yet; rollback will", "target", r.target().Name, "error", cleanupErr)
	}
	return err
}

// resumeStaged completes the Record from the version an earlier attempt of
// this execution staged.
func (r *run) resumeStaged(ctx context.Context) (Record, error) {
	rec := r.rec
	raw, found, err := r.getVersion(ctx, rec.SecretARN, rec.PendingVersionID)
	if err != nil {
		return Record{}, err
	}
	if !found {
		return Record{}, &ConflictError{Target: rec.Target, Problem: "this execution's pending version disappeared"}
	}
	staged, err := parseValue(r.target(), raw)
	if err != nil {
		return Record{}, &SecretError{SecretID: rec.SecretARN, Stage: stagePending, Err: err}
	}
	rec.New = staged.keys().ids()
	return rec, nil
}
