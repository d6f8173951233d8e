package deploy

import "strconv"

// Environment variables of the step Lambdas. The CDK stack sets every one
// that [Config.StepEnvironment] returns; EnvDatadogEndpoint is set by local
// runs only.
const (
	// EnvSecretPrefix starts every target's secret name.
	EnvSecretPrefix = "DDROTATE_SECRET_PREFIX"
	// EnvAdminSecretID is the secret holding ddrotate's own Datadog credential.
	EnvAdminSecretID = "DDROTATE_ADMIN_SECRET_ID"
	// EnvTopicARN is the notification topic teams subscribe to.
	EnvTopicARN = "DDROTATE_TOPIC_ARN"
	// EnvSite is the deployment's Datadog site.
	EnvSite = "DDROTATE_SITE"
	// EnvDefaultGrace is the scheduled grace period, in whole seconds, of
	// targets whose secret does not carry its own.
	EnvDefaultGrace = "DDROTATE_DEFAULT_GRACE_SECONDS"
	// EnvOldKeyUsageLag is, in whole seconds, how long after the new key
	// became current a use of the old one still counts as a consumer
	// switching over (Datadog reports uses late).
	EnvOldKeyUsageLag = "DDROTATE_OLD_KEY_USAGE_LAG_SECONDS"
	// EnvStateMachineARN is the ARN of the rotate-target state machine, whose
	// executions invoke the steps and hold the targets' locks.
	EnvStateMachineARN = "DDROTATE_STATE_MACHINE_ARN"
	// EnvLogLevel is the steps' slog level (debug, info, warn, error).
	EnvLogLevel = "LOG_LEVEL"
	// EnvDeployment is the deployment's name, the value of every one of its
	// secrets' TagDeployment tag, by which a fleet run finds its targets.
	EnvDeployment = "DDROTATE_DEPLOYMENT"
	// EnvFleetMaxConcurrency and EnvFleetToleratedFailurePercentage are the
	// fleet run's settings (config fleet.maxConcurrency and
	// fleet.toleratedFailurePercentage), which the listtargets step hands to
	// the fleet's Distributed Map.
	EnvFleetMaxConcurrency             = "DDROTATE_FLEET_MAX_CONCURRENCY"
	EnvFleetToleratedFailurePercentage = "DDROTATE_FLEET_TOLERATED_FAILURE_PERCENTAGE"
	// EnvDatadogEndpoint replaces the site's API URL with a local Datadog
	// emulator, which must listen on a loopback address. Never deployed.
	EnvDatadogEndpoint = "DDROTATE_DATADOG_ENDPOINT"
)

// StepLogLevel is the level the deployed steps log at.
const StepLogLevel = "info"

// StepResources are the ARNs of resources that the deployment creates and
// the steps call. In the CDK stack they are tokens, which survive as strings.
type StepResources struct {
	// TopicARN is the notification topic.
	TopicARN string
	// StateMachineARN is the rotate-target state machine's.
	StateMachineARN string
}

// StepEnvironment is the environment of every step Lambda of the deployment:
// what the steps read at start-up. A target's own settings are on its
// secret's tags instead, so this stays the same size for any fleet.
func (c Config) StepEnvironment(r StepResources) map[string]string {
	return map[string]string{
		EnvSecretPrefix:                    c.SecretPrefix,
		EnvAdminSecretID:                   c.SecretName(c.Admin().Name),
		EnvTopicARN:                        r.TopicARN,
		EnvSite:                            string(c.Site),
		EnvDefaultGrace:                    strconv.Itoa(int(c.DefaultGrace.Seconds())),
		EnvOldKeyUsageLag:                  strconv.Itoa(int(c.OldKeyUsageLag.Seconds())),
		EnvStateMachineARN:                 r.StateMachineARN,
		EnvLogLevel:                        StepLogLevel,
		EnvDeployment:                      c.Prefix,
		EnvFleetMaxConcurrency:             strconv.Itoa(c.Fleet.MaxConcurrency),
		EnvFleetToleratedFailurePercentage: strconv.FormatFloat(c.Fleet.ToleratedFailurePercentage, 'f', -1, 64),
	}
}
