package asl

import (
	"fmt"
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
	for i := range 100 {
		steps.targets = append(steps.targets, fmt.Sprint("t", i))
	}
	for step, fn := range steps.handlers() {
		functions[string(step)] = lambda.NewHandler(fn)
	}
	input := []byte(`{"mode": "compromise"}`)
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
