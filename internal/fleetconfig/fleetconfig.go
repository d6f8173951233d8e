// Package fleetconfig generates the deployment configs of large fleets that
// the CDK app's limit tests and the benchmarks synthesize: as many targets
// as asked, shaped like a real organisation's. It is a local stand-in,
// never linked into what deploys.
package fleetconfig

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Shape says how the generated targets are spread over team accounts.
type Shape struct {
	// Targets is the number of team targets, besides the admin.
	Targets int
	// TargetsPerTeam share one team account and its ExternalId (default 4).
	TargetsPerTeam int
	// ReaderEvery gives every n-th target a direct reader role (default 10).
	ReaderEvery int
	// MaxConcurrency and ToleratedFailurePercentage are the fleet section.
	MaxConcurrency             int
	ToleratedFailurePercentage float64
}

// TargetName is the name of the i-th generated target.
func TargetName(i int) string { return fmt.Sprintf("team-%05d", i) }

// TeamAccount is the account of the i-th target's team.
func (s Shape) TeamAccount(i int) string {
	return fmt.Sprintf("%012d", 100000000000+i/s.perTeam())
}

func (s Shape) perTeam() int {
	if s.TargetsPerTeam > 0 {
		return s.TargetsPerTeam
	}
	return 4
}

// Config returns the config file of the shape's fleet: the admin, then
// the teams' targets, every fourth an api-app-key target.
func (s Shape) Config() deploy.ConfigFile {
	readerEvery := s.ReaderEvery
	if readerEvery == 0 {
		readerEvery = 10
	}
	file := deploy.ConfigFile{
		Prefix:   "ddrotate",
		Site:     string(deploy.SiteUS1),
		Schedule: "rate(30 days)",
		Alarms:   deploy.AlarmsFile{Email: "platform-oncall@example.com"},
		Targets:  []deploy.TargetFile{{Name: "admin", Kind: deploy.KindAdmin}},
	}
	if s.MaxConcurrency > 0 {
		p := s.ToleratedFailurePercentage
		file.Fleet = &deploy.FleetFile{MaxConcurrency: s.MaxConcurrency, ToleratedFailurePercentage: &p}
	}
	for i := range s.Targets {
		account := s.TeamAccount(i)
		t := deploy.TargetFile{
			Name:       TargetName(i),
			Kind:       deploy.KindAPIKey,
			Accounts:   []string{account},
			ExternalID: "ddrotate-team-" + account,
		}
		if i%4 == 3 {
			t.Kind, t.ServiceAccountID = deploy.KindAPIAppKey, fmt.Sprintf("3f1b2c4d-5e6f-4a7b-8c9d-%012d", i)
		}
		if i%readerEvery == 0 {
			t.Readers = []string{fmt.Sprintf("arn:aws:iam::%s:role/%s-datadog-extension", account, t.Name)}
		}
		file.Targets = append(file.Targets, t)
	}
	return file
}

// Write writes the shape's config file to path.
func (s Shape) Write(path string) error {
	data, err := json.MarshalIndent(s.Config(), "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}
