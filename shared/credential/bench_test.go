package credential

import (
	"fmt"
	"io"
	"testing"
)

func BenchmarkParseTeam(b *testing.B) {
	data := readFixture(b, "team_with_app_key.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTeam(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSecretFormat(b *testing.B) {
	s := NewSecret(fixtureTeamAPIKey)
	b.ReportAllocs()
	for b.Loop() {
		fmt.Fprintf(io.Discard, "%v", s)
	}
}
