package test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestShippedCodeLinksNoLocalStandIn keeps the layout honest: what deploys
// (the CDK app and the step Lambdas) must not link any package under
// internal/, where the emulators, the ASL executor and the local runner live.
func TestShippedCodeLinksNoLocalStandIn(t *testing.T) {
	const module = "github.com/ddrotate/ddrotate"
	for _, pattern := range []string{"./infra", "./functions/..."} {
		out, err := exec.Command("go", "list", "-deps", "../"+strings.TrimPrefix(pattern, "./")).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pattern, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			t.Fatalf("go list -deps %s listed nothing", pattern)
		}
		shipped := false
		for _, dep := range deps {
			if strings.HasPrefix(dep, module+"/internal/") {
				t.Errorf("%s links the local stand-in %s", pattern, dep)
			}
			shipped = shipped || strings.HasPrefix(dep, module+"/shared/") || dep == module+"/statemachine"
		}
		if !shipped {
			t.Errorf("go list -deps %s names neither shared/ nor statemachine; is the pattern right?", pattern)
		}
	}
}
