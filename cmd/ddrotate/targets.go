package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// targetsCommand prints, from a deployment config, what the stack's
// per-target outputs used to say: each target's secret and the read role
// each of its accounts assumes, and with what. The names are deterministic,
// so the config is all it needs; a secret's full ARN ends with a random
// suffix that only AWS knows (aws secretsmanager describe-secret, or the
// secretArn of any notification).
func targetsCommand(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("targets", flag.ContinueOnError)
	fs.SetOutput(stdout)
	config := fs.String("config", "ddrotate.config.json", "the deployment config file")
	account := fs.String("account", "<security-account>", "the security account, for the roles' ARNs")
	partition := fs.String("partition", "aws", "the AWS partition, for the roles' ARNs")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cfg, err := deploy.LoadConfig(*config)
	if err != nil {
		return err
	}
	return printTargets(stdout, cfg, *partition, *account)
}

func printTargets(w io.Writer, cfg deploy.Config, partition, account string) error {
	var errs []error
	line := func(format string, args ...any) {
		_, err := fmt.Fprintf(w, format+"\n", args...)
		errs = append(errs, err)
	}
	for _, t := range cfg.Targets {
		line("%s\tsecret %s", t.Name, cfg.SecretName(t.Name))
		if t.IsAdmin() {
			line("\tread by ddrotate's steps only")
			continue
		}
		for _, g := range t.ReaderGroups() {
			var conditions []string
			if g.ExternalID != "" {
				conditions = append(conditions, "ExternalId "+g.ExternalID)
			}
			if g.OrganizationID != "" {
				conditions = append(conditions, "from organization "+g.OrganizationID)
			}
			line("\tfrom %s: assume arn:%s:iam::%s:role/%s (%s)", g.Account, partition, account, cfg.ReaderRoleName(g), strings.Join(conditions, ", "))
		}
		for _, r := range t.Readers {
			line("\treader %s reads it directly", r)
		}
	}
	return errors.Join(errs...)
}
