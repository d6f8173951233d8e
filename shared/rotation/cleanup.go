package rotation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ddrotate/ddrotate/shared/datadog"
)

// findAPIKeys lists the target's API keys named exactly name (Datadog's
// filter is a substring match, so ddrotate-team-a-… would also find
// ddrotate-team-ab-…).
func (r *run) findAPIKeys(ctx context.Context, name string) ([]datadog.APIKey, error) {
	all, err := r.dd.ListAPIKeys(ctx, name)
	if err != nil {
		return nil, datadogErr("list API keys named "+name, err)
	}
	return namedExactly(all, r.target().Name, name, func(k datadog.APIKey) string { return k.Name }), nil
}

// findAppKeys lists the target's application keys named exactly name.
func (r *run) findAppKeys(ctx context.Context, name string) ([]datadog.AppKey, error) {
	all, err := r.dd.ListAppKeys(ctx, r.target().ServiceAccountID, name)
	if err != nil {
		return nil, datadogErr("list application keys named "+name, err)
	}
	return namedExactly(all, r.target().Name, name, func(k datadog.AppKey) string { return k.Name }), nil
}

// namedExactly keeps the keys called name that are target's managed keys.
func namedExactly[K any](keys []K, target, name string, nameOf func(K) string) []K {
	var found []K
	for _, k := range keys {
		if n := nameOf(k); n == name && IsManagedKeyName(target, n) {
			found = append(found, k)
		}
	}
	return found
}

// deleteKeys deletes the keys of ks; a key already gone counts as deleted.
func (r *run) deleteKeys(ctx context.Context, ks keySet) error {
	var errs []error
	if ks.APIKeyID != "" {
		if err := datadog.IgnoreNotFound(r.dd.DeleteAPIKey(ctx, ks.APIKeyID)); err != nil {
			errs = append(errs, datadogErr("delete API key "+ks.APIKeyID, err))
		}
	}
	if ks.AppKeyID != "" {
		if err := datadog.IgnoreNotFound(r.dd.DeleteAppKey(ctx, r.target().ServiceAccountID, ks.AppKeyID)); err != nil {
			errs = append(errs, datadogErr("delete application key "+ks.AppKeyID, err))
		}
	}
	if len(errs) == 1 {
		// As is: Step Functions matches on the error's type name, and
		// errors.Join would make even a single error a "joinError".
		return errs[0]
	}
	return errors.Join(errs...)
}

// keyIDs are the key ids a secret version names, read leniently so that a
// version too malformed to use can still be cleaned up or protected.
type keyIDs struct {
	APIKeyID         string `json:"apiKeyId"`
	AppKeyID         string `json:"appKeyId"`
	AdminAPIKeyID    string `json:"adminApiKeyId"`
	AdminAppKeyID    string `json:"adminAppKeyId"`
	ServiceAccountID string `json:"serviceAccountId"`
}

func readKeyIDs(raw string) keyIDs {
	var ids keyIDs
	_ = json.Unmarshal([]byte(raw), &ids)
	if ids.APIKeyID == "" {
		ids.APIKeyID = ids.AdminAPIKeyID
	}
	if ids.AppKeyID == "" {
		ids.AppKeyID = ids.AdminAppKeyID
	}
	return ids
}

// currentKeyIDs returns the ids of the keys in the target's AWSCURRENT: the
// keys no step may ever delete.
func (r *run) currentKeyIDs(ctx context.Context) (map[string]bool, error) {
	protect := map[string]bool{}
	v := r.st.versionOf[stageCurrent]
	if v == "" {
		return protect, nil
	}
	raw, _, err := r.getVersion(ctx, r.st.arn, v)
	if err != nil {
		return nil, err
	}
	ids := readKeyIDs(raw)
	for _, id := range []string{ids.APIKeyID, ids.AppKeyID} {
		if id != "" {
			protect[id] = true
		}
	}
	return protect, nil
}

// undoExecution deletes every key that executionID created for the target
// (those in the version it staged and those bearing its key name), except
// keys in AWSCURRENT, and releases its AWSPENDING. If its version had
// already become AWSCURRENT, nothing is deleted.
func (r *run) undoExecution(ctx context.Context, executionID string) (RollbackResult, error) {
	st, target := r.st, r.target()
	res := RollbackResult{Target: target.Name, Deleted: []KeyRef{}}
	token := VersionToken(target.Name, executionID)
	if st.versionOf[stageCurrent] == token {
		res.StoreCompleted = true
		return res, r.releasePending(ctx, st, token)
	}
	protect, err := r.currentKeyIDs(ctx)
	if err != nil {
		return res, err
	}
	var apiIDs, appIDs []KeyRef
	if raw, found, err := r.getVersion(ctx, st.arn, token); err != nil {
		return res, err
	} else if found {
		ids := readKeyIDs(raw)
		if ids.APIKeyID != "" {
			apiIDs = append(apiIDs, KeyRef{Type: KeyTypeAPI, ID: ids.APIKeyID})
		}
		if ids.AppKeyID != "" {
			appIDs = append(appIDs, KeyRef{Type: KeyTypeApp, ID: ids.AppKeyID})
		}
	}
	name := KeyName(target.Name, executionID)
	apiKeys, err := r.findAPIKeys(ctx, name)
	if err != nil {
		return res, err
	}
	for _, k := range apiKeys {
		apiIDs = append(apiIDs, KeyRef{Type: KeyTypeAPI, ID: k.ID, Name: k.Name, Last4: k.Last4})
	}
	if target.Kind.HasAppKey() {
		appKeys, err := r.findAppKeys(ctx, name)
		if err != nil {
			return res, err
		}
		for _, k := range appKeys {
			appIDs = append(appIDs, KeyRef{Type: KeyTypeApp, ID: k.ID, Name: k.Name, Last4: k.Last4})
		}
	}
	deleted, err := r.deleteRefs(ctx, append(apiIDs, appIDs...), protect)
	res.Deleted = append(res.Deleted, deleted...)
	if err != nil {
		return res, err
	}
	return res, r.releasePending(ctx, st, token)
}

// deleteRefs deletes each key in refs once, skipping the ids in keep, and
// returns those it deleted; a key already gone counts as deleted.
// Application keys belong to the target's service account.
func (r *run) deleteRefs(ctx context.Context, refs []KeyRef, keep map[string]bool) ([]KeyRef, error) {
	deleted := []KeyRef{}
	seen := map[string]bool{}
	for _, k := range refs {
		if seen[k.ID] || keep[k.ID] {
			continue
		}
		seen[k.ID] = true
		var err error
		switch k.Type {
		case KeyTypeAPI:
			err = r.dd.DeleteAPIKey(ctx, k.ID)
		case KeyTypeApp:
			err = r.dd.DeleteAppKey(ctx, r.target().ServiceAccountID, k.ID)
		default:
			// Only a bug in this package makes one; deleting it as the
			// wrong kind of key could hit another key with that id.
			return deleted, fmt.Errorf("rotation: key %s has unknown type %q", k.ID, k.Type)
		}
		if err := datadog.IgnoreNotFound(err); err != nil {
			return deleted, datadogErr("delete "+string(k.Type)+" key "+k.ID, err)
		}
		deleted = append(deleted, k)
	}
	return deleted, nil
}

// releasePending removes AWSPENDING from version if it is there. A label
// already gone (another step released it) counts as released.
func (s *Steps) releasePending(ctx context.Context, st secretState, version string) error {
	if st.versionOf[stagePending] != version {
		return nil
	}
	_, err := s.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:            aws.String(st.arn),
		VersionStage:        aws.String(stagePending),
		RemoveFromVersionId: aws.String(version),
	})
	if err != nil && !isAWSError[*smtypes.InvalidParameterException](err) {
		return awsErr("release AWSPENDING", err)
	}
	return nil
}

// releaseStaleLock deals with an AWSPENDING that another execution holds:
// if that execution still runs, the rotation is in progress and this one
// must stop; if it died (stopped, timed out, failed without rolling back),
// its keys are deleted and its lock released so this rotation can go on.
func (r *run) releaseStaleLock(ctx context.Context, holderVersion string) error {
	st := r.st
	raw, found, err := r.getVersion(ctx, st.arn, holderVersion)
	if err != nil {
		return err
	}
	holder := ""
	if found {
		holder = holderOf(raw)
	}
	if holder == "" {
		return &RotationInProgressError{Target: st.target.Name, HolderExecution: fmt.Sprintf("unknown (version %s was not written by ddrotate; remove its AWSPENDING label by hand once you know it is unused)", holderVersion)}
	}
	running, err := r.isRunning(ctx, holder)
	if err != nil {
		return err
	}
	if running {
		return &RotationInProgressError{Target: st.target.Name, HolderExecution: holder}
	}
	res, err := r.undoExecution(ctx, holder)
	if err != nil {
		return err
	}
	r.log().Warn("released a stale AWSPENDING left by an execution that is no longer running",
		"target", st.target.Name, "stale_execution", holder, "deleted_keys", len(res.Deleted))
	return nil
}

// isRunning reports whether the execution is still running (or waiting to
// be redriven).
func (s *Steps) isRunning(ctx context.Context, executionARN string) (bool, error) {
	status, err := s.executionStatus(ctx, executionARN)
	return status == sfntypes.ExecutionStatusRunning || status == sfntypes.ExecutionStatusPendingRedrive, err
}

// executionStatus returns an execution's status; one Step Functions does
// not know has none ("").
func (s *Steps) executionStatus(ctx context.Context, executionARN string) (sfntypes.ExecutionStatus, error) {
	out, err := s.Executions.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
	switch {
	case err != nil && isAWSError[*sfntypes.ExecutionDoesNotExist](err):
		return "", nil
	case err != nil:
		return "", awsErr("describe execution "+executionARN, err)
	}
	return out.Status, nil
}
