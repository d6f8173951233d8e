package rotation

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/ddrotate/ddrotate/shared/credential"
)

// Config is what every step needs to know about the deployment.
type Config struct {
	// SecretPrefix + target name is a target's secret (default "ddrotate/").
	SecretPrefix string
	// AdminSecretID is the secret holding the admin credential, which every
	// Datadog call is made with.
	AdminSecretID string
	// TopicARN is the SNS topic that teams subscribe to.
	TopicARN string
	// Site is the Datadog site of the deployment; a secret naming another
	// site is refused, so a key is never sent anywhere else.
	Site credential.Site
	// DefaultGrace is the scheduled grace period when a target's secret does
	// not carry its own.
	DefaultGrace time.Duration
	// OldKeyUsageLag is how long after the new key became current a use of
	// the old one still counts as a consumer switching over: Datadog reports
	// a key's last use with a delay. A later use holds the old key's deletion.
	OldKeyUsageLag time.Duration
	// StateMachineARN is the rotate-target state machine's ARN, whose
	// executions invoke the steps and hold the targets' locks. Optional, and
	// not used yet: the lock check could refuse an execution of any other
	// machine.
	StateMachineARN string
}

// stateMachineARN is the shape of a Standard state machine's ARN.
var stateMachineARN = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]{1,80}$`)

// Validate reports the first missing or malformed setting, naming it.
func (c Config) Validate() error {
	switch {
	case c.SecretPrefix == "":
		return &ConfigError{Field: "secret prefix", Problem: "is required"}
	case c.AdminSecretID == "":
		return &ConfigError{Field: "admin secret id", Problem: "is required"}
	case c.TopicARN == "" || !strings.HasPrefix(c.TopicARN, "arn:"):
		return &ConfigError{Field: "topic ARN", Problem: "must be an SNS topic ARN"}
	case c.DefaultGrace < 0 || c.DefaultGrace > maxGraceSeconds*time.Second:
		return &ConfigError{Field: "default grace", Problem: "must be between 0 and one year"}
	case c.StateMachineARN != "" && !stateMachineARN.MatchString(c.StateMachineARN):
		return &ConfigError{Field: "state machine ARN", Problem: "must be the ARN of a Step Functions state machine"}
	}
	if _, err := credential.ParseSite(string(c.Site)); err != nil {
		return &ConfigError{Field: "site", Problem: err.Error()}
	}
	return nil
}

// Steps runs the rotation steps with its dependencies. Each exported method
// is one step, with the signature aws-lambda-go expects of a handler.
type Steps struct {
	Config Config
	// Fleet is what the listtargets step needs: the deployment's tag and
	// the fleet run's settings.
	Fleet      FleetSettings
	Secrets    SecretsAPI
	Topic      PublishAPI
	Executions ExecutionsAPI
	Keys       KeysFactory
	Logger     *slog.Logger
	// Now is the clock used for rotatedAt and expiry times (default time.Now).
	Now func() time.Time
}

// NewSteps checks cfg and returns Steps over the given clients.
func NewSteps(cfg Config, secrets SecretsAPI, topic PublishAPI, executions ExecutionsAPI, keys KeysFactory, logger *slog.Logger) (*Steps, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if secrets == nil || topic == nil || executions == nil || keys == nil {
		return nil, fmt.Errorf("rotation: every client is required")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Steps{Config: cfg, Secrets: secrets, Topic: topic, Executions: executions, Keys: keys, Logger: logger, Now: time.Now}, nil
}

func (s *Steps) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Steps) log() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// secretIDFor is the secret of target name.
func (s *Steps) secretIDFor(name string) string { return s.Config.SecretPrefix + name }
