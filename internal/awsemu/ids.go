package awsemu

import (
	"crypto/rand"
	"fmt"
)

// newUUID returns a random version-4 UUID, the form AWS uses for request
// ids, message ids and the version ids the SDKs generate.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// randomString returns n characters drawn uniformly from alphabet.
func randomString(alphabet string, n int) string {
	out := make([]byte, n)
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	for i, v := range buf {
		// len(alphabet) is at most 64 here, so the modulo bias is tolerable
		// for identifiers that only need to be unique, not secret.
		out[i] = alphabet[int(v)%len(alphabet)]
	}
	return string(out)
}

const (
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)
