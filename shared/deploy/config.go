package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// ConfigFile is the deployment configuration as an operator writes it. It is
// only read; the stack is built from the Config that Validate derives from it,
// so nothing is created from a file that has not been checked as a whole.
type ConfigFile struct {
	// Prefix names the stack, the Lambdas, the state machines and the
	// team roles, so that two deployments can share an account. Default "ddrotate".
	Prefix string `json:"prefix"`
	// SecretPrefix starts every secret name; it ends with "/". Default Prefix + "/".
	SecretPrefix string `json:"secretPrefix"`
	// Site is the Datadog site of the organisation, one of [Sites].
	Site string `json:"site"`
	// Schedule is the EventBridge schedule expression, rate(...) or cron(...),
	// that starts the scheduled rotation of the whole fleet.
	Schedule string `json:"schedule"`
	// DefaultGracePeriod is how long a replaced key keeps working after a
	// scheduled rotation, as a Go duration ("24h", "90m"). Default 24h.
	DefaultGracePeriod string `json:"defaultGracePeriod"`
	// DefaultMaxGracePeriod is how long a scheduled rotation may hold the
	// deletion of an old key that consumers still use ("7d", "36h"). Default 7d.
	DefaultMaxGracePeriod string `json:"defaultMaxGracePeriod"`
	// OldKeyUsageLag is how long after the new key became current a use of
	// the old one is still taken for a consumer switching over, since
	// Datadog reports a key's last use with a delay. Default 1h.
	OldKeyUsageLag string `json:"oldKeyUsageLag"`
	// LogRetentionDays keeps the Lambda and state machine logs this long;
	// one of the values CloudWatch Logs accepts. Default 365.
	LogRetentionDays int `json:"logRetentionDays"`
	// Alarms says where alarms on failed executions go.
	Alarms AlarmsFile `json:"alarms"`
	// VPC, when set, puts the Lambdas in the VPC's private subnets.
	VPC *VPCFile `json:"vpc"`
	// Fleet tunes the scheduled run over every target; optional.
	Fleet *FleetFile `json:"fleet"`
	// Targets are the credentials to rotate: exactly one admin, and one per team.
	Targets []TargetFile `json:"targets"`
}

// AlarmsFile names the operators' alarm destination: an e-mail address for a
// topic this stack creates, or an existing SNS topic. Exactly one is set.
type AlarmsFile struct {
	Email    string `json:"email"`
	TopicARN string `json:"topicArn"`
}

// VPCFile is an existing VPC whose private subnets (with a route to the
// Datadog API and to the AWS APIs) host the Lambdas.
type VPCFile struct {
	ID               string   `json:"id"`
	PrivateSubnetIDs []string `json:"privateSubnetIds"`
}

// TargetFile is one credential to rotate.
type TargetFile struct {
	// Name is used in the Datadog key name, the secret name and the team role
	// name: lower-case letters, digits and hyphens.
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// ServiceAccountID is the UUID of the Datadog service account that owns
	// the application key; api-app-key targets only.
	ServiceAccountID string `json:"serviceAccountId"`
	// Accounts are the team's AWS account ids allowed to assume its read-only
	// role and to subscribe to notifications. None for the admin target.
	Accounts []string `json:"accounts"`
	// ExternalID and OrganizationID condition the team role's trust policy;
	// a team target sets at least one.
	ExternalID     string `json:"externalId"`
	OrganizationID string `json:"organizationId"`
	// Readers are IAM role ARNs, in the team's accounts, that may read the
	// secret directly with their own credentials: consumers that cannot
	// assume the team's role (the Datadog Lambda Extension, the Forwarder,
	// ECS task execution roles).
	Readers []string `json:"readers"`
	// MaxGracePeriod overrides DefaultMaxGracePeriod for this target.
	MaxGracePeriod string `json:"maxGracePeriod"`
	// GracePeriod overrides DefaultGracePeriod for this target.
	GracePeriod string `json:"gracePeriod"`
}

// Config is a validated ConfigFile with defaults applied and values parsed.
type Config struct {
	Prefix           string
	SecretPrefix     string
	Site             Site
	Schedule         string
	DefaultGrace     time.Duration
	DefaultMaxGrace  time.Duration
	OldKeyUsageLag   time.Duration
	LogRetentionDays int
	AlarmEmail       string // set when the stack creates the alarm topic
	AlarmTopicARN    string // set when alarms go to an existing topic
	VPC              *VPC
	Fleet            Fleet
	Targets          []Target
}

// VPC is where the Lambdas run when the deployment has one.
type VPC struct {
	ID               string
	PrivateSubnetIDs []string
}

// Target is one validated credential to rotate.
type Target struct {
	Name             string
	Kind             Kind
	ServiceAccountID string
	Accounts         []string
	ExternalID       string
	OrganizationID   string
	Readers          []string
	Grace            time.Duration // effective: the override or the default
	// MaxGrace is how long a scheduled rotation may hold the old key's
	// deletion while consumers still use it; at least Grace.
	MaxGrace time.Duration
}

// IsAdmin reports whether t is ddrotate's own credential, which no team reads.
func (t Target) IsAdmin() bool { return t.Kind == KindAdmin }

// Admin returns the admin target; Validate guarantees there is exactly one.
func (c Config) Admin() Target {
	for _, t := range c.Targets {
		if t.IsAdmin() {
			return t
		}
	}
	panic("ddrotate: validated config has no admin target")
}

// SecretName is the Secrets Manager name of a target's secret.
func (c Config) SecretName(target string) string { return c.SecretPrefix + target }

// FunctionName is the name of a step's Lambda.
func (c Config) FunctionName(step Step) string { return c.Prefix + "-" + string(step) }

// RotateTargetMachineName is the name of the state machine that rotates one
// target and invokes the steps.
func (c Config) RotateTargetMachineName() string { return c.Prefix + "-rotate-target" }

// RotateFleetMachineName is the name of the state machine that rotates many
// targets, each as a rotate-target execution.
func (c Config) RotateFleetMachineName() string { return c.Prefix + "-rotate-fleet" }

// TargetNames lists every target, admin included, in file order.
func (c Config) TargetNames() []string {
	names := make([]string, len(c.Targets))
	for i, t := range c.Targets {
		names[i] = t.Name
	}
	return names
}

// LoadConfig reads and validates the configuration file at path. Unknown
// fields are rejected, so a misspelt optional setting is not silently ignored.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading ddrotate config: %w", err)
	}
	var file ConfigFile
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&file); err != nil {
		return Config{}, fmt.Errorf("parsing ddrotate config %s: %w", path, err)
	}
	cfg, err := file.Validate(time.Now())
	if err != nil {
		return Config{}, fmt.Errorf("ddrotate config %s: %w", path, err)
	}
	return cfg, nil
}
