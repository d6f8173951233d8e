package statemachine

import (
	"maps"
	"regexp"
	"slices"
	"testing"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`)

func placeholdersOf(definition []byte) []string {
	found := map[string]bool{}
	for _, m := range placeholder.FindAllSubmatch(definition, -1) {
		found[string(m[1])] = true
	}
	return slices.Sorted(maps.Keys(found))
}

// The definitions call every step and nothing else: each placeholder they
// hold is one the CDK stack and the local runner substitute.
func TestPlaceholdersAreTheDeployContracts(t *testing.T) {
	var steps []string
	for _, step := range deploy.Steps() {
		steps = append(steps, step.Placeholder())
	}
	if got, want := placeholdersOf(RotateTargetDefinition), slices.Sorted(slices.Values(steps)); !slices.Equal(got, want) {
		t.Errorf("rotate-target holds placeholders %q, want one per step %q", got, want)
	}
	if got, want := placeholdersOf(RotateFleetDefinition), []string{deploy.RotateTargetStateMachinePlaceholder}; !slices.Equal(got, want) {
		t.Errorf("rotate-fleet holds placeholders %q, want %q", got, want)
	}
}
