package awsemu

import (
	"bytes"
	"slices"
	"strings"
	"time"
)

// Staging labels with a meaning of their own in Secrets Manager.
const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

// secret is one Secrets Manager secret and all its versions. Each staging
// label is attached to at most one version; the methods below keep that true.
type secret struct {
	arn          string
	name         string
	description  string
	kmsKeyID     string
	tags         []secretTag
	versions     map[string]*secretVersion
	order        []string // version ids, oldest first
	created      time.Time
	lastChanged  time.Time
	lastAccessed time.Time
	// deletedDate is when DeleteSecret scheduled the secret for deletion and
	// deletionDate when it will go; both are zero for a live secret.
	deletedDate  time.Time
	deletionDate time.Time
}

type secretTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// secretVersion is one immutable value of a secret with its labels. A
// version without labels is deprecated: kept, but hidden from most listings.
type secretVersion struct {
	id           string
	stages       []string
	secretString *string
	secretBinary []byte
	created      time.Time
	lastAccessed time.Time
}

func (sec *secret) scheduledForDeletion() bool { return !sec.deletedDate.IsZero() }

// holderOf returns the version the label is attached to, or nil.
func (sec *secret) holderOf(label string) *secretVersion {
	for _, id := range sec.order {
		if v := sec.versions[id]; v.hasStage(label) {
			return v
		}
	}
	return nil
}

// attachStage puts label on v, taking it off whichever version had it.
// Moving AWSCURRENT also moves AWSPREVIOUS to the version that had
// AWSCURRENT, as Secrets Manager does.
func (sec *secret) attachStage(label string, v *secretVersion) {
	had := sec.holderOf(label)
	if had == v {
		return
	}
	if had != nil {
		had.removeStage(label)
	}
	v.stages = append(v.stages, label)
	if label == stageCurrent && had != nil {
		if old := sec.holderOf(stagePrevious); old != nil {
			old.removeStage(stagePrevious)
		}
		had.stages = append(had.stages, stagePrevious)
	}
}

// addVersion stores v as the newest version of the secret.
func (sec *secret) addVersion(v *secretVersion) {
	sec.versions[v.id] = v
	sec.order = append(sec.order, v.id)
}

// labelledVersions maps the id of every version that has a label to its
// labels: Secrets Manager's VersionIdsToStages, which omits deprecated ones.
func (sec *secret) labelledVersions() map[string][]string {
	out := map[string][]string{}
	for _, id := range sec.order {
		if v := sec.versions[id]; len(v.stages) > 0 {
			out[id] = slices.Clone(v.stages)
		}
	}
	return out
}

// matchesID reports whether a SecretId (name, full ARN, or partial ARN
// without the random suffix) names this secret.
func (sec *secret) matchesID(id string) bool {
	if id == sec.arn || id == sec.name {
		return true
	}
	partial := sec.arn[:len(sec.arn)-len(arnSuffixSeparator)-arnSuffixLength]
	return strings.HasPrefix(id, "arn:") && id == partial
}

// Secret ARNs end with "-" and six random characters, so that a deleted
// and recreated secret of the same name has a different ARN.
const (
	arnSuffixSeparator = "-"
	arnSuffixLength    = 6
)

// labels lists every staging label attached to any version of the secret.
func (sec *secret) labels() []string {
	var out []string
	for _, id := range sec.order {
		out = append(out, sec.versions[id].stages...)
	}
	return out
}

// wouldExceedLabelQuota reports whether attaching labels would leave more
// than maxLabelsPerSecret distinct labels on the secret's versions. Moving
// AWSCURRENT from a version also attaches AWSPREVIOUS to that version.
func (sec *secret) wouldExceedLabelQuota(labels []string) bool {
	all := append(sec.labels(), labels...)
	if slices.Contains(labels, stageCurrent) && sec.holderOf(stageCurrent) != nil {
		all = append(all, stagePrevious)
	}
	slices.Sort(all)
	return len(slices.Compact(all)) > maxLabelsPerSecret
}

// pruneDeprecated removes the oldest unlabelled versions while the secret
// has more than versionsKept versions, sparing those created within
// deprecatedVersionGrace of now, as Secrets Manager's clean-up does.
func (sec *secret) pruneDeprecated(now time.Time) {
	for i := 0; len(sec.order) > versionsKept && i < len(sec.order); {
		v := sec.versions[sec.order[i]]
		if len(v.stages) > 0 || now.Sub(v.created) < deprecatedVersionGrace {
			i++
			continue
		}
		delete(sec.versions, v.id)
		sec.order = slices.Delete(sec.order, i, i+1)
	}
}

func (v *secretVersion) hasStage(label string) bool { return slices.Contains(v.stages, label) }

func (v *secretVersion) removeStage(label string) {
	v.stages = slices.DeleteFunc(v.stages, func(s string) bool { return s == label })
}

// sameValue reports whether a request's value equals the version's, which
// decides whether reusing a ClientRequestToken is an idempotent retry.
func (v *secretVersion) sameValue(secretString *string, secretBinary []byte) bool {
	if (v.secretString == nil) != (secretString == nil) {
		return false
	}
	if v.secretString != nil && *v.secretString != *secretString {
		return false
	}
	return bytes.Equal(v.secretBinary, secretBinary)
}
