package localenv

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// StartRotation starts a rotate-target execution, as an operator's
// StartExecution would, and returns without waiting.
func (e *Env) StartRotation(ctx context.Context, target string, mode rotation.Mode) (*asl.Execution, error) {
	input, err := json.Marshal(rotation.Input{Target: target, Mode: mode})
	if err != nil {
		return nil, err
	}
	return e.Engine.Start(ctx, e.TargetMachineARN, "", input)
}

// StartRaw starts a rotate-target execution with a raw input, for tests of
// bad input.
func (e *Env) StartRaw(ctx context.Context, input []byte) (*asl.Execution, error) {
	return e.Engine.Start(ctx, e.TargetMachineARN, "", input)
}

// Rotate runs one rotate-target execution to its end.
func (e *Env) Rotate(ctx context.Context, target string, mode rotation.Mode) (*asl.Execution, error) {
	x, err := e.StartRotation(ctx, target, mode)
	if err != nil {
		return nil, err
	}
	if err := x.Wait(ctx); err != nil {
		return x, err
	}
	return x, nil
}

// RotateFleet runs one rotate-fleet execution to its end, as the schedule
// starts it; the run finds the deployment's targets itself.
func (e *Env) RotateFleet(ctx context.Context, mode rotation.Mode) (*asl.Execution, error) {
	input, err := json.Marshal(map[string]any{"mode": mode})
	if err != nil {
		return nil, err
	}
	x, err := e.Engine.Start(ctx, e.FleetMachineARN, "", input)
	if err != nil {
		return nil, fmt.Errorf("start the fleet rotation: %w", err)
	}
	if err := x.Wait(ctx); err != nil {
		return x, err
	}
	return x, nil
}

// TargetNames lists the targets set up so far, admin first.
func (e *Env) TargetNames() []string {
	names := []string{}
	if _, ok := e.Targets[AdminTarget]; ok {
		names = append(names, AdminTarget)
	}
	for _, n := range e.order() {
		if n != AdminTarget {
			names = append(names, n)
		}
	}
	return names
}
