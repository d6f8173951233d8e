package deploy

import "regexp"

// Kind says which Datadog credentials a target holds, and so which keys the
// rotation creates for it.
type Kind string

const (
	// KindAPIKey targets hold one API key.
	KindAPIKey Kind = "api-key"
	// KindAPIAppKey targets hold an API key and an application key owned by
	// a Datadog service account; the new application key inherits the old
	// one's scopes.
	KindAPIAppKey Kind = "api-app-key"
	// KindAdmin is ddrotate's own credential, used for every Datadog call.
	// It rotates itself: the current pair creates the new one, and the new
	// pair deletes the old.
	KindAdmin Kind = "admin"
)

// Valid reports whether k is one of the target kinds.
func (k Kind) Valid() bool { return k == KindAPIKey || k == KindAPIAppKey || k == KindAdmin }

// HasAppKey reports whether targets of this kind carry an application key.
func (k Kind) HasAppKey() bool { return k == KindAPIAppKey || k == KindAdmin }

// Tags that the CDK stack puts on each target's secret. They are the
// target's configuration, read by the steps, so that a rotation needs
// nothing but the target's name and one source of truth serves any fleet.
const (
	// TagTarget names the target; it must equal the name in the secret's name.
	TagTarget = "ddrotate:target"
	// TagKind is the target's [Kind].
	TagKind = "ddrotate:kind"
	// TagGraceSeconds is the target's scheduled grace period in seconds.
	TagGraceSeconds = "ddrotate:grace-seconds"
	// TagMaxGraceSeconds is, in seconds, how long a scheduled rotation may
	// hold the deletion of an old key that consumers still use.
	TagMaxGraceSeconds = "ddrotate:max-grace-seconds"
	// TagServiceAccountID is the UUID of the service account that owns an
	// api-app-key target's application key.
	TagServiceAccountID = "ddrotate:service-account-id"
	// TagDeployment names the deployment (its Prefix) a secret belongs to.
	// Only the stack sets it, and no role of the deployment may tag: the
	// step roles' policies address the deployment's secrets by name prefix
	// and this tag, so they stay the same size for any fleet, and the fleet
	// run finds its targets by listing the secrets that carry it.
	TagDeployment = "ddrotate:deployment"
	// TagReaderPrefix starts the tag that lets one reader group's role read
	// a secret (see [ReaderGroup.TagKey]); its value is ReaderTagValue.
	TagReaderPrefix = "ddrotate:reader:"
	// ReaderTagValue is the value of every reader tag.
	ReaderTagValue = "read"
)

// targetNamePattern is what a target may be called: the name must fit in a
// Datadog key name, a Secrets Manager secret name and an IAM role name.
var targetNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$`)

// ValidTargetName reports whether name can name a target: 2 to 40
// lower-case letters, digits or hyphens, starting and ending with a letter
// or digit.
func ValidTargetName(name string) bool { return targetNamePattern.MatchString(name) }
