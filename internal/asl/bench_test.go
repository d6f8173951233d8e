package asl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/statemachine"
)

// BenchmarkFleetOfHundredTargets measures the executor's own overhead on
// the real fleet definition: 100 child rotations through every step, with
// handlers that do nothing.
func BenchmarkFleetOfHundredTargets(b *testing.B) {
	functions := map[string]lambda.Handler{}
	steps := newFakeSteps()
	for step, fn := range steps.handlers() {
		functions[string(step)] = lambda.NewHandler(fn)
	}
	targets := make([]string, 100)
	for i := range targets {
		targets[i] = fmt.Sprintf("%q", fmt.Sprint("t", i))
	}
	input := []byte(`{"mode": "compromise", "targets": [` + strings.Join(targets, ",") + `]}`)
	substitutions := map[string]string{}
	for _, step := range deploy.Steps() {
		substitutions[step.Placeholder()] = string(step)
	}
	for b.Loop() {
		e := NewEngine(EngineOptions{Clock: NewFakeClock(epoch), Functions: functions})
		target, err := e.Register("rotate-target", statemachine.RotateTargetDefinition, substitutions)
		if err != nil {
			b.Fatal(err)
		}
		substitutions[deploy.RotateTargetStateMachinePlaceholder] = target
		fleet, err := e.Register("rotate-fleet", statemachine.RotateFleetDefinition, substitutions)
		if err != nil {
			b.Fatal(err)
		}
		x, err := e.Start(b.Context(), fleet, "", input)
		if err != nil {
			b.Fatal(err)
		}
		if err := x.Wait(b.Context()); err != nil {
			b.Fatal(err)
		}
		if x.Status() != StatusSucceeded {
			b.Fatalf("fleet ended %s: %s", x.Status(), x.Cause())
		}
	}
}
