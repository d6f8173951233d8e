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
// hold is one the CDK stack and the local runner substitute, and each
// machine calls exactly the steps the deploy contract gives it.
func TestPlaceholdersAreTheDeployContracts(t *testing.T) {
	placeholders := func(machine deploy.Machine) []string {
		var list []string
		for _, step := range deploy.StepsOf(machine) {
			list = append(list, step.Placeholder())
		}
		return list
	}
	if got, want := placeholdersOf(RotateTargetDefinition), slices.Sorted(slices.Values(placeholders(deploy.MachineRotateTarget))); !slices.Equal(got, want) {
		t.Errorf("rotate-target holds placeholders %q, want one per step %q", got, want)
	}
	want := slices.Sorted(slices.Values(append(placeholders(deploy.MachineRotateFleet), deploy.RotateTargetStateMachinePlaceholder)))
	if got := placeholdersOf(RotateFleetDefinition); !slices.Equal(got, want) {
		t.Errorf("rotate-fleet holds placeholders %q, want %q", got, want)
	}
}
