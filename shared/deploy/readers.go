package deploy

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// ReaderGroup is one consumer identity that reads secrets through a role it
// assumes: an AWS account, presenting one ExternalId (or none) from one
// organization (or any). Every team target lists its accounts and at most
// one externalId and organizationId, so each (account, externalId,
// organizationId) it names is one group, and a group may read exactly the
// targets that name it.
//
// The deployment creates one read role per group instead of one per
// target: a fleet of 1,000 targets in a few hundred team accounts needs a
// few hundred roles, within IAM's default quota of 1,000 roles per account,
// and a target's team reads its secret exactly as it did with a role of its
// own (same accounts, same ExternalId and organization conditions). The
// role's policy does not list the secrets: it allows the secrets of the
// deployment that carry the group's tag ([ReaderGroup.TagKey]), so its size
// does not grow with the number of targets the group reads.
type ReaderGroup struct {
	Account        string
	ExternalID     string
	OrganizationID string
	// Targets are the names of the targets the group reads, in config order.
	Targets []string
}

// readerGroupHashLen is how many hex digits of the (externalId,
// organizationId) hash go into a group's id: enough to tell apart the few
// combinations one account uses, short enough for IAM's 64-character role
// names.
const readerGroupHashLen = 8

// ID is the group's stable identifier, "<account>-<8 hex digits>": the
// digits hash the group's ExternalId and organization, so two groups of one
// account differ and the id does not change when targets come and go.
func (g ReaderGroup) ID() string {
	sum := sha256.Sum256([]byte(g.ExternalID + "\x00" + g.OrganizationID))
	return g.Account + "-" + hex.EncodeToString(sum[:])[:readerGroupHashLen]
}

// TagKey is the tag that every secret the group reads carries, with the
// value ReaderTagValue; the group's role may read a secret of the
// deployment only if it carries it.
func (g ReaderGroup) TagKey() string { return TagReaderPrefix + g.ID() }

// ReaderRoleName is the name of a reader group's role: "<prefix>-read-<id>",
// at most 43 characters.
func (c Config) ReaderRoleName(g ReaderGroup) string { return c.Prefix + "-read-" + g.ID() }

// ReaderGroups returns the deployment's reader groups, ordered by account
// and then id, each with the targets it reads. The admin target has none.
func (c Config) ReaderGroups() []ReaderGroup {
	byID := map[string]*ReaderGroup{}
	var groups []*ReaderGroup
	for _, t := range c.Targets {
		for _, g := range t.ReaderGroups() {
			existing, ok := byID[g.ID()]
			if !ok {
				existing = &ReaderGroup{Account: g.Account, ExternalID: g.ExternalID, OrganizationID: g.OrganizationID}
				byID[g.ID()] = existing
				groups = append(groups, existing)
			}
			existing.Targets = append(existing.Targets, t.Name)
		}
	}
	out := make([]ReaderGroup, len(groups))
	for i, g := range groups {
		out[i] = *g
	}
	slices.SortFunc(out, func(a, b ReaderGroup) int { return cmp.Compare(a.ID(), b.ID()) })
	return out
}

// ReaderGroups returns the groups that read t, one per account, without
// their Targets; none for the admin target.
func (t Target) ReaderGroups() []ReaderGroup {
	if t.IsAdmin() {
		return nil
	}
	groups := make([]ReaderGroup, len(t.Accounts))
	for i, account := range t.Accounts {
		groups[i] = ReaderGroup{Account: account, ExternalID: t.ExternalID, OrganizationID: t.OrganizationID}
	}
	return groups
}
