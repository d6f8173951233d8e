package rotation

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Key names and version ids are derived from the execution, never random, so
// that a retried step finds what an earlier attempt of the same execution
// created instead of creating a second key, a rollback finds every key its
// execution made even when the step that made them died before answering,
// and an audit can tell ddrotate's keys from the rest.

// keyNamePrefix starts the name of every key ddrotate creates.
const keyNamePrefix = "ddrotate-"

// shortIDLen is how many hex digits of the execution's hash go in a key name:
// 40 bits, enough that two executions of one target never collide.
const shortIDLen = 10

// ExecutionShortID is the short, stable id of an execution used in key names.
func ExecutionShortID(executionID string) string {
	sum := sha256.Sum256([]byte(executionID))
	return hex.EncodeToString(sum[:])[:shortIDLen]
}

// KeyName is the name of the key(s) that executionID creates for target:
// ddrotate-<target>-<execution short id>.
func KeyName(target, executionID string) string {
	return keyNamePrefix + target + "-" + ExecutionShortID(executionID)
}

// IsManagedKeyName reports whether name is a key ddrotate made for target
// (and not for another target whose name merely starts the same way).
func IsManagedKeyName(target, name string) bool {
	rest, ok := strings.CutPrefix(name, keyNamePrefix+target+"-")
	if !ok || len(rest) != shortIDLen {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil
}

// managedKeyFilter is the Datadog name filter that finds a target's keys
// (a substring match; IsManagedKeyName then keeps only exact ones).
func managedKeyFilter(target string) string { return keyNamePrefix + target + "-" }

// VersionToken is the ClientRequestToken (and so the version id) of the
// secret version that executionID stages for target. It has the shape of a
// UUID, as Secrets Manager's own tokens do.
func VersionToken(target, executionID string) string {
	sum := sha256.Sum256([]byte("ddrotate/version\x00" + target + "\x00" + executionID))
	h := hex.EncodeToString(sum[:16])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}
