package localstack

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// seed does what a first deployment's operator does (README: "First-time
// setup"): it makes each target's first keys in Datadog and puts them as
// its secret's first value, so that a rotation can start at once. The
// admin target gets the Datadog emulator's admin credential.
func (ls *Stack) seed(ctx context.Context) error {
	site := credential.Site(ls.site())
	client := secretsmanager.NewFromConfig(ls.rootCfg)
	secrets := append([]*Secret(nil), ls.Deployment.Secrets...)
	sort.Slice(secrets, func(i, j int) bool { return secrets[i].Name < secrets[j].Name })
	for _, s := range secrets {
		kind := deploy.Kind(s.Tags[deploy.TagKind])
		target := s.Tags[deploy.TagTarget]
		var value string
		var err error
		switch kind {
		case deploy.KindAdmin:
			a := ls.Admin
			value, err = credential.Admin{
				APIKey: credential.NewSecret(a.APIKey), APIKeyID: a.APIKeyID,
				AppKey: credential.NewSecret(a.AppKey), AppKeyID: a.AppKeyID,
				ServiceAccountID: a.ServiceAccountID, Site: site,
			}.SecretString()
		case deploy.KindAPIKey, deploy.KindAPIAppKey:
			api := ls.Datadog.AddAPIKey(target + "-initial")
			team := credential.Team{APIKey: credential.NewSecret(api.Key), APIKeyID: api.ID, Site: site}
			if kind == deploy.KindAPIAppKey {
				saID := s.Tags[deploy.TagServiceAccountID]
				if saID == "" {
					return fmt.Errorf("seed %s: an %s target needs the %s tag", s.Name, kind, deploy.TagServiceAccountID)
				}
				ls.Datadog.AddServiceAccountWithID(saID, target+"-service-account")
				app := ls.Datadog.AddAppKey(saID, target+"-initial", nil)
				team.AppKey, team.AppKeyID, team.ServiceAccountID = credential.NewSecret(app.Key), app.ID, saID
			}
			value, err = team.SecretString()
		default:
			continue // not a ddrotate target
		}
		if err != nil {
			return fmt.Errorf("seed %s: %w", s.Name, err)
		}
		if _, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(s.ARN), SecretString: aws.String(value)}); err != nil {
			return fmt.Errorf("seed %s: %w", s.Name, err)
		}
		ls.Seeded = append(ls.Seeded, target)
	}
	return nil
}

// site is the Datadog site the functions are configured with.
func (ls *Stack) site() string {
	if ls.opts.Site != "" {
		return ls.opts.Site
	}
	for _, fn := range ls.Deployment.Functions {
		if s := fn.Environment[deploy.EnvSite]; s != "" {
			return s
		}
	}
	return "datadoghq.com"
}
