package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// The README's main command: the demo runs the whole system and exits 0
// only when every invariant holds.
func TestDemoExitsZeroAndReportsEveryCheck(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"demo"}, &out, &errOut); code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		"payments (scheduled)  SUCCEEDED", "analytics (compromise)  SUCCEEDED",
		"GetSecretValue ddrotate/analytics → denied", "rotated (payments), old-key-revoked (payments)",
		"✓ 1-3, 5-9", "✓ 4:",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "✗") {
		t.Errorf("demo reported a failed check:\n%s", out.String())
	}
}

func TestCommandLineMistakes(t *testing.T) {
	for _, args := range [][]string{nil, {"rotate-everything"}, {"run"}, {"rotate"}, {"rotate", "--target", "payments", "--mode", "bogus"},
		{"status", "--bogus"}, {"demo", "--bogus"}, {"serve", "--bogus"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("ddrotate %v exited %d, want 2", args, code)
		}
		if errOut.Len() == 0 {
			t.Errorf("ddrotate %v printed no explanation", args)
		}
	}
}

// `ddrotate targets` says, from the config alone, which secret each target
// has and which role each of its accounts assumes: what the stack's
// per-target outputs used to say.
func TestTargetsPrintsEachTargetsSecretAndReadRoles(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"targets", "-config", "../../ddrotate.config.example.json", "-account", "999999999999"}, &out, &errOut); code != 0 {
		t.Fatalf("targets exited %d: %s", code, errOut.String())
	}
	cfg, err := deploy.LoadConfig("../../ddrotate.config.example.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range cfg.ReaderGroups() {
		if want := "from " + g.Account + ": assume arn:aws:iam::999999999999:role/" + cfg.ReaderRoleName(g); !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, want := range []string{"payments\tsecret ddrotate/payments", "(ExternalId ddrotate-payments)", "admin\tsecret ddrotate/admin\n\tread by ddrotate's steps only",
		"reader arn:aws:iam::333333333333:role/ingest-datadog-forwarder reads it directly"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
