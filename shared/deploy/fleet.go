package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// FleetFile tunes the scheduled fleet run, a Distributed Map over every
// target of the deployment in which each target is a rotate-target
// execution of its own.
type FleetFile struct {
	// MaxConcurrency is how many targets rotate at once (1 to 10,000).
	// Default 10. Each one holds its slot through its grace period, so a
	// run lasts about ceil(targets / MaxConcurrency) grace periods; each
	// new one creates keys in Datadog, so the bound also keeps a run
	// within Datadog's key-management rate limits.
	MaxConcurrency int `json:"maxConcurrency"`
	// ToleratedFailurePercentage stops the run early once more than this
	// percentage of the targets has failed (0 to 100): the Map Run fails
	// with States.ExceedToleratedFailureThreshold and the targets still
	// rotating are stopped, each rolling back. Default 100: every target is
	// attempted, and the run fails at the end if any did.
	ToleratedFailurePercentage *float64 `json:"toleratedFailurePercentage"`
}

// Fleet is the validated fleet section.
type Fleet struct {
	MaxConcurrency             int
	ToleratedFailurePercentage float64
}

// Fleet defaults.
const (
	DefaultFleetMaxConcurrency             = 10
	DefaultFleetToleratedFailurePercentage = 100
)

// FleetListing is what the listtargets step returns and the fleet run's
// Distributed Map iterates over: the deployment's targets, found by their
// TagDeployment tag, admin first and the others sorted, with the run's
// settings from the config.
type FleetListing struct {
	Targets                    []string `json:"targets"`
	Count                      int      `json:"count"`
	MaxConcurrency             int      `json:"maxConcurrency"`
	ToleratedFailurePercentage float64  `json:"toleratedFailurePercentage"`
}

// FleetStateBytes is the size of the largest state of a fleet run over the
// named targets: the Map state's input, which holds the listing next to the
// run's mode. It must stay within StatePayloadLimit.
func (f Fleet) FleetStateBytes(targets []string) int {
	listing := FleetListing{Targets: targets, Count: len(targets), MaxConcurrency: f.MaxConcurrency, ToleratedFailurePercentage: f.ToleratedFailurePercentage}
	data, _ := json.Marshal(map[string]any{"mode": "compromise", "fleet": listing})
	return len(data)
}

func checkFleet(problems *problemList, file *FleetFile) Fleet {
	fleet := Fleet{MaxConcurrency: DefaultFleetMaxConcurrency, ToleratedFailurePercentage: DefaultFleetToleratedFailurePercentage}
	if file == nil {
		return fleet
	}
	if file.MaxConcurrency != 0 {
		fleet.MaxConcurrency = file.MaxConcurrency
	}
	if fleet.MaxConcurrency < 1 || fleet.MaxConcurrency > DistributedMapMaxConcurrency {
		problems.add("fleet.maxConcurrency", "%d must be from 1 to %d, the most child executions a Distributed Map runs at once", file.MaxConcurrency, DistributedMapMaxConcurrency)
	}
	if p := file.ToleratedFailurePercentage; p != nil {
		fleet.ToleratedFailurePercentage = *p
		if math.IsNaN(*p) || *p < 0 || *p > 100 {
			problems.add("fleet.toleratedFailurePercentage", "%v must be a percentage from 0 to 100", *p)
		}
	}
	return fleet
}

// checkFleetLimits checks the limits that grow with the number of targets:
// those a deployment cannot be created or run beyond. Everything else that
// grows with the fleet (the step roles' policies, the schedule's input,
// the templates) is built so that it does not.
func checkFleetLimits(problems *problemList, cfg Config) {
	names := cfg.TargetNames()
	if n := cfg.Fleet.FleetStateBytes(names); n > StatePayloadLimit {
		problems.add("targets", "the fleet run lists every target by name in one Step Functions state: %d targets take %d bytes there, more than the %d bytes (256 KiB) a state may hold; shorten target names or split the fleet across deployments",
			len(names), n, StatePayloadLimit)
	}
	if c := cfg.Fleet.MaxConcurrency; c > 0 {
		var slotTime time.Duration
		for _, t := range cfg.Targets {
			slotTime += t.Grace
		}
		if least := slotTime / time.Duration(c); least > StandardExecutionLimit {
			need := int(math.Ceil(float64(slotTime) / float64(StandardExecutionLimit)))
			problems.add("fleet.maxConcurrency", "%d targets rotating %d at a time wait out %v of grace periods in all, at least %v of fleet run, longer than a Standard execution's one-year limit; raise it to at least %d",
				len(names), c, slotTime, least.Round(time.Hour), need)
		}
	}
	if roles := FixedRoles() + len(cfg.ReaderGroups()); roles > RolesPerAccountMax {
		problems.add("targets", "the deployment needs %d IAM roles (one per step, state machine and schedule, and one per account and externalId/organizationId that reads a target), more than the %d an account may hold even with a raised quota",
			roles, RolesPerAccountMax)
	}
	for i, n := range cfg.BucketResources() {
		if n > TemplateResourceLimit {
			problems.add("targets", "nested stack %s would hold %d resources (secrets, their reader policies and read roles), more than CloudFormation's %d per template",
				TemplateBucketName(i), n, TemplateResourceLimit)
		}
	}
	if n := topicPolicyBytes(cfg); n > TopicPolicyLimit {
		accounts := 0
		for _, list := range SubscriberAccounts(cfg) {
			accounts += len(list)
		}
		problems.add("targets", "the notification topic's policy lets every team account subscribe: %d accounts take about %d bytes, more than the %d an SNS topic policy may hold",
			accounts, n, TopicPolicyLimit)
	}
	if n := keyPolicyReaderBytes(cfg); n > keyPolicyReaderBudget {
		problems.add("targets", "the readers of all targets are in %d accounts; the KMS key policy statement that lets them decrypt would take about %d bytes, more than the %d left of a key policy's %d",
			len(directReaderAccounts(cfg)), n, keyPolicyReaderBudget, KeyPolicyLimit)
	}
}

// SubscriberAccounts groups the team accounts that may subscribe to the
// notification topic by the organization they must subscribe from ("" for
// targets without an organizationId), each list sorted and without repeats.
func SubscriberAccounts(cfg Config) map[string][]string {
	seen := map[string]map[string]bool{}
	for _, t := range cfg.Targets {
		if t.IsAdmin() {
			continue
		}
		if seen[t.OrganizationID] == nil {
			seen[t.OrganizationID] = map[string]bool{}
		}
		for _, a := range t.Accounts {
			seen[t.OrganizationID][a] = true
		}
	}
	out := map[string][]string{}
	for org, accounts := range seen {
		out[org] = slices.Sorted(maps.Keys(accounts))
	}
	return out
}

// topicPolicyBytes estimates the notification topic's policy: one
// statement per organization, listing its accounts.
func topicPolicyBytes(cfg Config) int {
	n := 600
	for _, accounts := range SubscriberAccounts(cfg) {
		n += 400 + len(`"123456789012",`)*len(accounts)
	}
	return n
}

// keyPolicyReaderBudget is what the key policy has room for besides the
// statements every deployment has (about 4 KB of them).
const keyPolicyReaderBudget = KeyPolicyLimit - 8192

// directReaderAccounts lists the accounts of every target's readers.
func directReaderAccounts(cfg Config) map[string]bool {
	accounts := map[string]bool{}
	for _, t := range cfg.Targets {
		for _, r := range t.Readers {
			accounts[AccountOfRoleARN(r)] = true
		}
	}
	return accounts
}

// keyPolicyReaderBytes estimates the key policy statement that lets the
// readers' accounts decrypt: one principal ARN per account, and the rest.
func keyPolicyReaderBytes(cfg Config) int {
	const perAccount = len(`"arn:aws-us-gov:iam::123456789012:root",`)
	return 600 + perAccount*len(directReaderAccounts(cfg))
}

// secretPolicyBytes estimates the resource policy that lets a target's
// readers read its secret: one principal ARN per reader, and the rest.
func secretPolicyBytes(readers []string) int {
	n := 300
	for _, r := range readers {
		n += len(r) + 3
	}
	return n
}

// checkTargetLimits checks the limits of one team target's secret.
func checkTargetLimits(problems *problemList, field string, file TargetFile) {
	if len(file.Accounts) > MaxAccountsPerTarget {
		problems.add(field+".accounts", "%d accounts, more than %d: each account reads the secret through a tag on it, and a secret carries at most %d tags, %d of them ddrotate's settings",
			len(file.Accounts), MaxAccountsPerTarget, SecretTagLimit, settingTagsPerSecret)
	}
	if n := secretPolicyBytes(file.Readers); n > SecretPolicyLimit {
		problems.add(field+".readers", "%d readers need a secret resource policy of about %d characters, more than the %d Secrets Manager allows",
			len(file.Readers), n, SecretPolicyLimit)
	}
}

// String describes the settings for logs and errors.
func (f Fleet) String() string {
	return fmt.Sprintf("maxConcurrency %d, toleratedFailurePercentage %v", f.MaxConcurrency, f.ToleratedFailurePercentage)
}
