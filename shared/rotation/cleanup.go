package rotation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// findAPIKeys lists the API keys named exactly name (Datadog's filter is a
// substring match, so ddrotate-team-a-… would also find ddrotate-team-ab-…).
func findAPIKeys(ctx context.Context, dd KeysAPI, target, name string) ([]datadog.APIKey, error) {
	all, err := dd.ListAPIKeys(ctx, name)
	if err != nil {
		return nil, datadogErr("list API keys named "+name, err)
	}
	var found []datadog.APIKey
	for _, k := range all {
		if k.Name == name && IsManagedKeyName(target, k.Name) {
			found = append(found, k)
		}
	}
	return found, nil
}

// findAppKeys lists serviceAccountID's application keys named exactly name.
func findAppKeys(ctx context.Context, dd KeysAPI, target, serviceAccountID, name string) ([]datadog.AppKey, error) {
	all, err := dd.ListAppKeys(ctx, serviceAccountID, name)
	if err != nil {
		return nil, datadogErr("list application keys named "+name, err)
	}
	var found []datadog.AppKey
	for _, k := range all {
		if k.Name == name && IsManagedKeyName(target, k.Name) {
			found = append(found, k)
		}
	}
	return found, nil
}

// deleteKeys deletes the keys of ks; a key already gone counts as deleted.
func deleteKeys(ctx context.Context, dd KeysAPI, target Target, ks keySet) error {
	var errs []error
	if ks.APIKeyID != "" {
		if err := datadog.IgnoreNotFound(dd.DeleteAPIKey(ctx, ks.APIKeyID)); err != nil {
			errs = append(errs, datadogErr("delete API key "+ks.APIKeyID, err))
		}
	}
	if ks.AppKeyID != "" {
		owner := ks.ServiceAccountID
		if owner == "" {
			owner = target.ServiceAccountID
		}
		if err := datadog.IgnoreNotFound(dd.DeleteAppKey(ctx, owner, ks.AppKeyID)); err != nil {
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
func (s *Steps) currentKeyIDs(ctx context.Context, st secretState) (map[string]bool, error) {
	protect := map[string]bool{}
	v := st.versionOf[stageCurrent]
	if v == "" {
		return protect, nil
	}
	raw, _, err := s.getVersion(ctx, st.arn, v)
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

// appKeyOwner is the service account whose application keys the target's
// rotation creates.
func appKeyOwner(st secretState, adminServiceAccount string) string {
	if st.target.Kind == deploy.KindAdmin {
		return adminServiceAccount
	}
	return st.target.ServiceAccountID
}

// undoExecution deletes every key that executionID created for the target
// (those in the version it staged and those bearing its key name), except
// keys in AWSCURRENT, and releases its AWSPENDING. If its version had
// already become AWSCURRENT, nothing is deleted.
func (s *Steps) undoExecution(ctx context.Context, dd KeysAPI, st secretState, adminServiceAccount, executionID string) (RollbackResult, error) {
	target := st.target
	if target.Kind == deploy.KindAdmin {
		target.ServiceAccountID = adminServiceAccount
	}
	res := RollbackResult{Target: target.Name, Deleted: []KeyRef{}}
	token := VersionToken(target.Name, executionID)
	if st.versionOf[stageCurrent] == token {
		res.StoreCompleted = true
		return res, s.releasePending(ctx, st, token)
	}
	protect, err := s.currentKeyIDs(ctx, st)
	if err != nil {
		return res, err
	}
	var apiIDs, appIDs []KeyRef
	if raw, found, err := s.getVersion(ctx, st.arn, token); err != nil {
		return res, err
	} else if found {
		ids := readKeyIDs(raw)
		if ids.APIKeyID != "" {
			apiIDs = append(apiIDs, KeyRef{Type: "api", ID: ids.APIKeyID})
		}
		if ids.AppKeyID != "" {
			appIDs = append(appIDs, KeyRef{Type: "app", ID: ids.AppKeyID})
		}
	}
	name := KeyName(target.Name, executionID)
	apiKeys, err := findAPIKeys(ctx, dd, target.Name, name)
	if err != nil {
		return res, err
	}
	for _, k := range apiKeys {
		apiIDs = append(apiIDs, KeyRef{Type: "api", ID: k.ID, Name: k.Name, Last4: k.Last4})
	}
	if target.Kind.HasAppKey() {
		appKeys, err := findAppKeys(ctx, dd, target.Name, target.ServiceAccountID, name)
		if err != nil {
			return res, err
		}
		for _, k := range appKeys {
			appIDs = append(appIDs, KeyRef{Type: "app", ID: k.ID, Name: k.Name, Last4: k.Last4})
		}
	}
	deleted, err := deleteRefs(ctx, dd, target.ServiceAccountID, append(apiIDs, appIDs...), protect)
	res.Deleted = append(res.Deleted, deleted...)
	if err != nil {
		return res, err
	}
	return res, s.releasePending(ctx, st, token)
}

// deleteRefs deletes each key in refs once, skipping the ids in keep, and
// returns those it deleted; a key already gone counts as deleted. owner is
// the service account whose application keys these are.
func deleteRefs(ctx context.Context, dd KeysAPI, owner string, refs []KeyRef, keep map[string]bool) ([]KeyRef, error) {
	deleted := []KeyRef{}
	seen := map[string]bool{}
	for _, k := range refs {
		if seen[k.ID] || keep[k.ID] {
			continue
		}
		seen[k.ID] = true
		var err error
		if k.Type == "api" {
			err = dd.DeleteAPIKey(ctx, k.ID)
		} else {
			err = dd.DeleteAppKey(ctx, owner, k.ID)
		}
		if err := datadog.IgnoreNotFound(err); err != nil {
			return deleted, datadogErr("delete "+k.Type+" key "+k.ID, err)
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
	if err != nil && awsErrorCode(err) != "InvalidParameterException" {
		return awsErr("release AWSPENDING", err)
	}
	return nil
}

// releaseStaleLock deals with an AWSPENDING that another execution holds:
// if that execution still runs, the rotation is in progress and this one
// must stop; if it died (stopped, timed out, failed without rolling back),
// its keys are deleted and its lock released so this rotation can go on.
func (s *Steps) releaseStaleLock(ctx context.Context, dd KeysAPI, st secretState, holderVersion, adminServiceAccount string) error {
	raw, found, err := s.getVersion(ctx, st.arn, holderVersion)
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
	running, err := s.isRunning(ctx, holder)
	if err != nil {
		return err
	}
	if running {
		return &RotationInProgressError{Target: st.target.Name, HolderExecution: holder}
	}
	res, err := s.undoExecution(ctx, dd, st, adminServiceAccount, holder)
	if err != nil {
		return err
	}
	s.log().Warn("released a stale AWSPENDING left by an execution that is no longer running",
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
	case err != nil && awsErrorCode(err) == "ExecutionDoesNotExist":
		return "", nil
	case err != nil:
		return "", awsErr("describe execution "+executionARN, err)
	}
	return out.Status, nil
}
