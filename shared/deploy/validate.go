package deploy

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for optional settings.
const (
	// DefaultPrefix names a deployment whose config sets no prefix; its
	// secrets' names start with DefaultPrefix + "/".
	DefaultPrefix = "ddrotate"
	// DefaultGracePeriod is the scheduled grace period of a config that sets none.
	DefaultGracePeriod = 24 * time.Hour
	// DefaultMaxGracePeriod bounds how long an old key still in use is kept.
	DefaultMaxGracePeriod = 7 * 24 * time.Hour
	// DefaultOldKeyUsageLag is how late Datadog may report a key's use.
	DefaultOldKeyUsageLag = time.Hour
	// maxOldKeyUsageLag keeps the lag below the shortest sensible grace.
	maxOldKeyUsageLag       = 24 * time.Hour
	defaultLogRetentionDays = 365
)

// maxGracePeriod keeps the grace wait inside a Standard workflow's one-year
// execution limit, with a day left for the other steps.
const maxGracePeriod = StandardExecutionLimit - 24*time.Hour

var (
	// prefixPattern keeps "<prefix>-read-<account>-<hash>" within IAM's 64-character
	// role name limit.
	prefixPattern       = regexp.MustCompile(`^[a-z][a-z0-9-]{0,14}[a-z0-9]$`)
	secretPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9_+=.@-][A-Za-z0-9/_+=.@-]{0,62}/$`)
	accountIDPattern    = regexp.MustCompile(`^[0-9]{12}$`)
	// roleARNPattern is an IAM role ARN in any partition; the group is the
	// account. Role names and paths use IAM's characters.
	roleARNPattern    = regexp.MustCompile(`^arn:aws(?:-cn|-us-gov)?:iam::([0-9]{12}):role/(?:[\x{21}-\x{7E}]*/)?[\w+=,.@-]{1,64}$`)
	uuidPattern       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	externalIDPattern = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	orgIDPattern      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	topicARNPattern   = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`)
	vpcIDPattern      = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)
	subnetIDPattern   = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// Validate checks the whole file and returns the Config to build the stack
// from, or a *ConfigError listing every problem found. now anchors the
// expansion of cron schedules.
func (f ConfigFile) Validate(now time.Time) (Config, error) {
	var problems problemList
	cfg := Config{
		Prefix:           valueOr(f.Prefix, DefaultPrefix),
		Site:             Site(f.Site),
		Schedule:         f.Schedule,
		LogRetentionDays: f.LogRetentionDays,
		AlarmEmail:       f.Alarms.Email,
		AlarmTopicARN:    f.Alarms.TopicARN,
	}
	cfg.SecretPrefix = valueOr(f.SecretPrefix, cfg.Prefix+"/")
	if cfg.LogRetentionDays == 0 {
		cfg.LogRetentionDays = defaultLogRetentionDays
	}

	if !prefixPattern.MatchString(cfg.Prefix) {
		problems.add("prefix", "%q must be 2 to 16 lower-case letters, digits or hyphens, starting with a letter", cfg.Prefix)
	}
	if !secretPrefixPattern.MatchString(cfg.SecretPrefix) {
		problems.add("secretPrefix", "%q must be at most 64 characters allowed in a secret name and end with \"/\"", cfg.SecretPrefix)
	}
	if !cfg.Site.Valid() {
		problems.add("site", "%q is not a Datadog site; want one of %v", f.Site, Sites())
	}
	interval, err := shortestInterval(f.Schedule, now)
	if err != nil {
		problems.add("schedule", "%q %v", f.Schedule, err)
	}
	cfg.DefaultGrace = checkGrace(&problems, "defaultGracePeriod", valueOr(f.DefaultGracePeriod, DefaultGracePeriod.String()), 0, interval)
	cfg.DefaultMaxGrace = checkMaxGrace(&problems, "defaultMaxGracePeriod", f.DefaultMaxGracePeriod, DefaultMaxGracePeriod, 0)
	cfg.OldKeyUsageLag = DefaultOldKeyUsageLag
	if f.OldKeyUsageLag != "" {
		lag, err := ParseDuration(f.OldKeyUsageLag)
		switch {
		case err != nil:
			problems.add("oldKeyUsageLag", "%q %v", f.OldKeyUsageLag, err)
		case lag < 0 || lag > maxOldKeyUsageLag:
			problems.add("oldKeyUsageLag", "%q must be between 0 and %v", f.OldKeyUsageLag, maxOldKeyUsageLag)
		default:
			cfg.OldKeyUsageLag = lag
		}
	}
	if !slices.Contains(logRetentionDays[:], cfg.LogRetentionDays) {
		problems.add("logRetentionDays", "%d is not a retention CloudWatch Logs accepts; want one of %v", cfg.LogRetentionDays, LogRetentionDays())
	}
	checkAlarms(&problems, f.Alarms)
	cfg.VPC = checkVPC(&problems, f.VPC)
	cfg.Fleet = checkFleet(&problems, f.Fleet)
	cfg.Targets = checkTargets(&problems, f.Targets, cfg.DefaultGrace, cfg.DefaultMaxGrace, interval)
	if len(cfg.Targets) > 0 {
		checkFleetLimits(&problems, cfg)
	}
	return cfg, problems.err()
}

func valueOr(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

// checkGrace parses a grace period (text, or fallback, already checked, when
// text is empty) and checks that the state machine can wait it and that it
// ends before the next run.
func checkGrace(problems *problemList, field, text string, fallback, interval time.Duration) time.Duration {
	if text == "" {
		return fallback
	}
	grace, err := ParseDuration(text)
	switch {
	case err != nil:
		problems.add(field, "%q %v", text, err)
	case grace < 0 || grace%time.Second != 0:
		problems.add(field, "%q must be a whole, non-negative number of seconds", text)
	case grace > maxGracePeriod:
		problems.add(field, "%q is longer than %v, and an execution must end within a year", text, maxGracePeriod)
	case interval > 0 && grace >= interval:
		problems.add(field, "%q is not shorter than the schedule's shortest interval between runs (%v): the next rotation would start before the replaced key is revoked", text, interval)
	}
	return grace
}

func checkAlarms(problems *problemList, alarms AlarmsFile) {
	switch {
	case alarms.Email == "" && alarms.TopicARN == "":
		problems.add("alarms", "set email or topicArn: operators must hear about failed rotations")
	case alarms.Email != "" && alarms.TopicARN != "":
		problems.add("alarms", "set email or topicArn, not both")
	case alarms.Email != "":
		if addr, err := mail.ParseAddress(alarms.Email); err != nil || addr.Address != alarms.Email {
			problems.add("alarms.email", "%q is not a plain e-mail address", alarms.Email)
		}
	case !topicARNPattern.MatchString(alarms.TopicARN):
		problems.add("alarms.topicArn", "%q is not an SNS topic ARN (standard topics only)", alarms.TopicARN)
	}
}

func checkVPC(problems *problemList, vpc *VPCFile) *VPC {
	if vpc == nil {
		return nil
	}
	if !vpcIDPattern.MatchString(vpc.ID) {
		problems.add("vpc.id", "%q is not a VPC id", vpc.ID)
	}
	if len(vpc.PrivateSubnetIDs) == 0 {
		problems.add("vpc.privateSubnetIds", "list at least one private subnet for the Lambdas")
	}
	for i, id := range vpc.PrivateSubnetIDs {
		field := fmt.Sprintf("vpc.privateSubnetIds[%d]", i)
		switch {
		case !subnetIDPattern.MatchString(id):
			problems.add(field, "%q is not a subnet id", id)
		case slices.Index(vpc.PrivateSubnetIDs, id) < i:
			problems.add(field, "%q is listed twice", id)
		}
	}
	return &VPC{ID: vpc.ID, PrivateSubnetIDs: slices.Clone(vpc.PrivateSubnetIDs)}
}

func checkTargets(problems *problemList, files []TargetFile, defaultGrace, defaultMaxGrace, interval time.Duration) []Target {
	if len(files) == 0 {
		problems.add("targets", "list the admin target and at least one team target")
		return nil
	}
	targets := make([]Target, 0, len(files))
	admins := 0
	for i, file := range files {
		if file.Kind == KindAdmin {
			admins++
		}
		targets = append(targets, checkTarget(problems, fmt.Sprintf("targets[%d]", i), file, defaultGrace, defaultMaxGrace, interval))
		if j := slices.IndexFunc(files[:i], func(t TargetFile) bool { return t.Name == file.Name }); j >= 0 && file.Name != "" {
			problems.add(fmt.Sprintf("targets[%d].name", i), "%q is already the name of targets[%d]", file.Name, j)
		}
	}
	if admins != 1 {
		problems.add("targets", "found %d targets of kind %q, want exactly one: ddrotate's own Datadog credential", admins, KindAdmin)
	}
	return targets
}

func checkTarget(problems *problemList, field string, file TargetFile, defaultGrace, defaultMaxGrace, interval time.Duration) Target {
	if !ValidTargetName(file.Name) {
		problems.add(field+".name", "%q must be 2 to 40 lower-case letters, digits or hyphens, starting and ending with a letter or digit", file.Name)
	}
	switch file.Kind {
	case KindAPIKey, KindAdmin:
		if file.ServiceAccountID != "" {
			problems.add(field+".serviceAccountId", "only %q targets have a service account id", KindAPIAppKey)
		}
	case KindAPIAppKey:
		if !uuidPattern.MatchString(file.ServiceAccountID) {
			problems.add(field+".serviceAccountId", "%q is not the UUID of a Datadog service account, which %q targets need", file.ServiceAccountID, KindAPIAppKey)
		}
	default:
		problems.add(field+".kind", "%q is not a target kind; want %q, %q or %q", file.Kind, KindAPIKey, KindAPIAppKey, KindAdmin)
	}
	if file.Kind == KindAdmin {
		checkAdminHasNoReaders(problems, field, file)
	} else {
		checkTeamAccess(problems, field, file)
		checkTargetLimits(problems, field, file)
	}
	t := Target{
		Name:             file.Name,
		Kind:             file.Kind,
		ServiceAccountID: file.ServiceAccountID,
		Accounts:         slices.Clone(file.Accounts),
		ExternalID:       file.ExternalID,
		OrganizationID:   file.OrganizationID,
		Readers:          slices.Clone(file.Readers),
	}
	t.Grace = checkGrace(problems, field+".gracePeriod", file.GracePeriod, defaultGrace, interval)
	t.MaxGrace = checkMaxGrace(problems, field+".maxGracePeriod", file.MaxGracePeriod, max(defaultMaxGrace, t.Grace), t.Grace)
	return t
}

// checkAdminHasNoReaders keeps the admin credential, which can mint and
// delete every key of the organisation, away from any team role.
func checkAdminHasNoReaders(problems *problemList, field string, file TargetFile) {
	const why = "the admin credential is read by ddrotate's own functions only"
	if len(file.Accounts) > 0 {
		problems.add(field+".accounts", "must be empty: %s", why)
	}
	if file.ExternalID != "" {
		problems.add(field+".externalId", "must be empty: %s", why)
	}
	if file.OrganizationID != "" {
		problems.add(field+".organizationId", "must be empty: %s", why)
	}
	if len(file.Readers) > 0 {
		problems.add(field+".readers", "must be empty: %s", why)
	}
}

// checkTeamAccess checks who may assume a team's read-only role: listed
// accounts, and only with an external id or from the organisation, so that
// an account id alone (which is not a secret) does not open the role.
func checkTeamAccess(problems *problemList, field string, file TargetFile) {
	if len(file.Accounts) == 0 {
		problems.add(field+".accounts", "list at least one AWS account of the team that reads this secret")
	}
	for i, account := range file.Accounts {
		accountField := fmt.Sprintf("%s.accounts[%d]", field, i)
		switch {
		case !accountIDPattern.MatchString(account):
			problems.add(accountField, "%q is not a 12-digit AWS account id", account)
		case slices.Index(file.Accounts, account) < i:
			problems.add(accountField, "%q is listed twice", account)
		}
	}
	if file.ExternalID == "" && file.OrganizationID == "" {
		problems.add(field, "set externalId or organizationId (or both) to condition the team role's trust policy")
	}
	if file.ExternalID != "" && (len(file.ExternalID) < 2 || len(file.ExternalID) > 1224 || !externalIDPattern.MatchString(file.ExternalID)) {
		problems.add(field+".externalId", "must be 2 to 1224 letters, digits or characters among +=,.@:/-_")
	}
	if file.OrganizationID != "" && !orgIDPattern.MatchString(file.OrganizationID) {
		problems.add(field+".organizationId", "%q is not an AWS Organizations id (o-...)", file.OrganizationID)
	}
	for i, reader := range file.Readers {
		readerField := fmt.Sprintf("%s.readers[%d]", field, i)
		m := roleARNPattern.FindStringSubmatch(reader)
		switch {
		case m == nil:
			problems.add(readerField, "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", reader)
		case !slices.Contains(file.Accounts, m[1]):
			problems.add(readerField, "role %q is in account %s, which is not among the target's accounts", reader, m[1])
		case slices.Index(file.Readers, reader) < i:
			problems.add(readerField, "%q is listed twice", reader)
		}
	}
}

// AccountOfRoleARN returns the account of a role ARN that validation
// accepted as a reader, or "".
func AccountOfRoleARN(arn string) string {
	if m := roleARNPattern.FindStringSubmatch(arn); m != nil {
		return m[1]
	}
	return ""
}

// checkMaxGrace parses how long a scheduled rotation may hold an old key
// still in use (text, or fallback when empty): at least the target's grace
// period (atLeast), and within a Standard execution's year.
func checkMaxGrace(problems *problemList, field, text string, fallback, atLeast time.Duration) time.Duration {
	if text == "" {
		return fallback
	}
	d, err := ParseDuration(text)
	switch {
	case err != nil:
		problems.add(field, "%q %v", text, err)
	case d < atLeast:
		problems.add(field, "%q is shorter than the grace period (%v): the old key is kept at least that long anyway", text, atLeast)
	case d > maxGracePeriod:
		problems.add(field, "%q is longer than %v, and an execution must end within a year", text, maxGracePeriod)
	}
	return d
}

// ParseDuration reads a duration as Go writes it ("24h", "90m") or a whole
// number of days ("7d", "30d"), which is how rotation periods are spoken of.
// Its error says what is expected, without the input.
func ParseDuration(text string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(text, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3660 {
			return 0, errDuration
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, errDuration
	}
	return d, nil
}

var errDuration = errors.New(`is not a duration such as "24h", "90m" or "7d"`)
