package ddemu

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// Datadog key values are lowercase hex: 32 characters for API keys and
// 40 for application keys (as the recorder's redaction lengths show).
const (
	apiKeyValueBytes = 16
	appKeyValueBytes = 20
)

// store is the org's state. Every access goes through Server.mu.
type store struct {
	orgName    string
	maxAPIKeys int

	// orgOwnerID is the human user who set the org up; seeded API keys are
	// recorded as created by that user, as they would be in a real org.
	orgOwnerID string
	adminRole  role

	// seq orders records created within the same clock tick, so listings are
	// deterministic even under a frozen test clock.
	seq uint64

	serviceAccounts map[string]*serviceAccount
	apiKeys         map[string]*apiKey
	appKeys         map[string]*appKey

	// everIssued holds every key value the org has issued, deleted keys
	// included, so that a leak scan can look for keys that no longer exist.
	everIssued []string
	// idOfValue maps every key value the org has issued to its key's id,
	// deleted keys included, so the call log can name the keys a request
	// presented.
	idOfValue map[string]string
}

type role struct {
	id        string
	name      string
	createdAt time.Time
}

type serviceAccount struct {
	id, name, email string
	createdAt       time.Time
}

type apiKey struct {
	id, name, value       string
	createdAt, modifiedAt time.Time
	createdBy, modifiedBy string
	seq                   uint64
	// lastUsed is when the key last authenticated a request; zero if never.
	lastUsed time.Time
}

type appKey struct {
	id, name, value, ownerID string
	// scopes nil means unscoped: the key carries every permission of its owner.
	scopes    []string
	createdAt time.Time
	seq       uint64
	// lastUsed is when the key last authenticated a request; zero if never.
	lastUsed time.Time
}

func newStore(orgName string, maxAPIKeys int, now time.Time) *store {
	if maxAPIKeys <= 0 {
		maxAPIKeys = DefaultMaxAPIKeys
	}
	return &store{
		orgName:         orgName,
		maxAPIKeys:      maxAPIKeys,
		orgOwnerID:      newUUID(),
		adminRole:       role{id: newUUID(), name: "Datadog Admin Role", createdAt: now},
		serviceAccounts: map[string]*serviceAccount{},
		apiKeys:         map[string]*apiKey{},
		appKeys:         map[string]*appKey{},
		idOfValue:       map[string]string{},
	}
}

func (st *store) nextSeq() uint64 {
	st.seq++
	return st.seq
}

func (st *store) apiKeyByValue(value string) *apiKey {
	if value == "" {
		return nil
	}
	for _, k := range st.apiKeys {
		if k.value == value {
			return k
		}
	}
	return nil
}

func (st *store) appKeyByValue(value string) *appKey {
	if value == "" {
		return nil
	}
	for _, k := range st.appKeys {
		if k.value == value {
			return k
		}
	}
	return nil
}

// sortedAPIKeys returns the API keys in creation order.
func (st *store) sortedAPIKeys() []*apiKey {
	keys := make([]*apiKey, 0, len(st.apiKeys))
	for _, k := range st.apiKeys {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b *apiKey) int {
		return cmp.Or(a.createdAt.Compare(b.createdAt), cmp.Compare(a.seq, b.seq))
	})
	return keys
}

// sortedAppKeys returns the application keys in creation order.
func (st *store) sortedAppKeys() []*appKey {
	keys := make([]*appKey, 0, len(st.appKeys))
	for _, k := range st.appKeys {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b *appKey) int {
		return cmp.Or(a.createdAt.Compare(b.createdAt), cmp.Compare(a.seq, b.seq))
	})
	return keys
}

// newUUID returns a random (version 4) UUID, the form of every Datadog key id.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand aborts the program instead
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newKeyValue returns n random bytes as lowercase hex, the format of Datadog key values.
func newKeyValue(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// last4 is the only part of a key value that Datadog shows after creation.
func last4(value string) string {
	if len(value) < 4 {
		return value
	}
	return value[len(value)-4:]
}

func isLowerHex(s string, length int) bool {
	if len(s) != length {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
