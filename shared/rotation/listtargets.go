package rotation

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// ListSecretsAPI is the part of the Secrets Manager client ListTargets
// calls. *secretsmanager.Client satisfies it; Steps.Secrets must too for
// the listtargets step.
type ListSecretsAPI interface {
	ListSecrets(context.Context, *secretsmanager.ListSecretsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
}

var _ ListSecretsAPI = (*secretsmanager.Client)(nil)

// listSecretsPageSize is ListSecrets' largest page.
const listSecretsPageSize = 100

// FleetSettings are the fleet run's settings, from the config
// (fleet.maxConcurrency, fleet.toleratedFailurePercentage).
type FleetSettings struct {
	// Deployment is the value of the deployment's secrets' TagDeployment tag.
	Deployment                 string
	MaxConcurrency             int
	ToleratedFailurePercentage float64
}

// ListTargetsRequest is what the fleet run hands the listtargets step:
// nothing it needs, the fleet's mode at most, which it ignores.
type ListTargetsRequest struct {
	Mode Mode `json:"mode,omitempty"`
}

// ListTargets lists the deployment's targets for a fleet run: the secrets
// that carry the deployment's TagDeployment tag, found with paged
// ListSecrets calls filtered by that tag and by the secret name prefix. The
// filters are prefix matches and do not pair a tag's key with its value, so
// each secret found is checked exactly: its tag, its name, and its
// TagTarget naming the target its name does; one that fails is skipped
// with a warning. Secrets scheduled for deletion are not listed. The admin
// comes first and the others in name order, with the run's settings.
func (s *Steps) ListTargets(ctx context.Context, _ ListTargetsRequest) (deploy.FleetListing, error) {
	fleet := s.Fleet
	if fleet.Deployment == "" {
		return deploy.FleetListing{}, &ConfigError{Field: "deployment", Problem: "is not set: the listtargets step finds targets by the deployment's tag"}
	}
	lister, ok := s.Secrets.(ListSecretsAPI)
	if !ok {
		return deploy.FleetListing{}, &ConfigError{Field: "secrets client", Problem: "cannot list secrets"}
	}
	in := &secretsmanager.ListSecretsInput{
		MaxResults: aws.Int32(listSecretsPageSize),
		Filters: []smtypes.Filter{
			{Key: smtypes.FilterNameStringTypeTagKey, Values: []string{deploy.TagDeployment}},
			{Key: smtypes.FilterNameStringTypeTagValue, Values: []string{fleet.Deployment}},
			{Key: smtypes.FilterNameStringTypeName, Values: []string{s.Config.SecretPrefix}},
		},
	}
	var targets []string
	admin := ""
	pages := 0
	for {
		out, err := lister.ListSecrets(ctx, in)
		if err != nil {
			return deploy.FleetListing{}, awsErr("list the deployment's secrets", err)
		}
		pages++
		for _, entry := range out.SecretList {
			name, ok := s.targetOf(entry, fleet.Deployment)
			switch {
			case !ok:
				continue
			case aws.ToString(entry.Name) == s.Config.AdminSecretID:
				admin = name
			default:
				targets = append(targets, name)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	slices.Sort(targets)
	targets = slices.Compact(targets)
	if admin != "" {
		targets = append([]string{admin}, targets...)
	}
	listing := deploy.FleetListing{
		Targets:                    targets,
		Count:                      len(targets),
		MaxConcurrency:             fleet.MaxConcurrency,
		ToleratedFailurePercentage: fleet.ToleratedFailurePercentage,
	}
	settings := deploy.Fleet{MaxConcurrency: fleet.MaxConcurrency, ToleratedFailurePercentage: fleet.ToleratedFailurePercentage}
	if n := settings.FleetStateBytes(targets); n > deploy.StatePayloadLimit {
		return deploy.FleetListing{}, &ConfigError{Field: "targets", Problem: fmt.Sprintf(
			"the %d targets' names take %d bytes in the fleet run's state, more than the %d bytes (256 KiB) a Step Functions state may hold; shorten target names or split the fleet across deployments",
			len(targets), n, deploy.StatePayloadLimit)}
	}
	s.log().Info("listed the deployment's targets", "step", string(deploy.StepListTargets), "deployment", fleet.Deployment,
		"targets", len(targets), "pages", pages, "admin", admin != "", "max_concurrency", fleet.MaxConcurrency,
		"tolerated_failure_percentage", fleet.ToleratedFailurePercentage)
	return listing, nil
}

// targetOf returns the target a listed secret holds, if it is exactly one
// of the deployment's: its TagDeployment tag is the deployment, its name is
// the secret prefix and a valid target name, and its TagTarget says so too.
func (s *Steps) targetOf(entry smtypes.SecretListEntry, deployment string) (string, bool) {
	secretName := aws.ToString(entry.Name)
	tags := make(map[string]string, len(entry.Tags))
	for _, t := range entry.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	name, hasPrefix := strings.CutPrefix(secretName, s.Config.SecretPrefix)
	var problem string
	switch {
	case tags[deploy.TagDeployment] != deployment:
		problem = "its " + deploy.TagDeployment + " tag names another deployment"
	case entry.DeletedDate != nil:
		problem = "it is scheduled for deletion"
	case !hasPrefix || !deploy.ValidTargetName(name):
		problem = "its name is not the secret prefix followed by a target name"
	case tags[deploy.TagTarget] != name:
		problem = "its " + deploy.TagTarget + " tag does not name the target its name does"
	default:
		return name, true
	}
	if tags[deploy.TagDeployment] == deployment {
		// Only a secret that claims to be the deployment's is worth a warning;
		// the filters' prefix matches also bring others.
		s.log().Warn("skipping a secret tagged with the deployment", "step", string(deploy.StepListTargets), "secret", secretName, "reason", problem)
	}
	return "", false
}
