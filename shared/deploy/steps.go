package deploy

import "slices"

// Step is one step Lambda of the rotation. Its value names the folder of its
// main package under functions/, the folder of its bundle under the build
// directory, and the suffix of the Lambda's name.
type Step string

// The steps, in the order a rotation runs them.
const (
	// StepCreate takes a target's lock and stages its new Datadog key(s)
	// as AWSPENDING.
	StepCreate Step = "create"
	// StepVerify checks that the new key(s) work in Datadog.
	StepVerify Step = "verify"
	// StepStore makes the new credential AWSCURRENT.
	StepStore Step = "store"
	// StepNotify publishes rotation events to the teams' topic.
	StepNotify Step = "notify"
	// StepDeleteOld revokes the replaced key(s) once the grace period is over.
	StepDeleteOld Step = "deleteold"
	// StepRollback undoes a rotation that failed before the new key was current.
	StepRollback Step = "rollback"
	// StepListTargets lists the deployment's targets for a fleet run.
	StepListTargets Step = "listtargets"
)

// Machine names one of the deployment's state machines.
type Machine string

// The state machines.
const (
	// MachineRotateTarget rotates one target.
	MachineRotateTarget Machine = "rotate-target"
	// MachineRotateFleet rotates every target of the deployment.
	MachineRotateFleet Machine = "rotate-fleet"
)

// steps lists every step with the state machine that invokes it and the
// placeholder that carries its Lambda's ARN into that machine's definition.
var steps = [...]struct {
	step        Step
	machine     Machine
	placeholder string
}{
	{StepCreate, MachineRotateTarget, "CreateFunctionArn"},
	{StepVerify, MachineRotateTarget, "VerifyFunctionArn"},
	{StepStore, MachineRotateTarget, "StoreFunctionArn"},
	{StepNotify, MachineRotateTarget, "NotifyFunctionArn"},
	{StepDeleteOld, MachineRotateTarget, "DeleteOldFunctionArn"},
	{StepRollback, MachineRotateTarget, "RollbackFunctionArn"},
	{StepListTargets, MachineRotateFleet, "ListTargetsFunctionArn"},
}

// RotateTargetStateMachinePlaceholder carries the rotate-target state
// machine's ARN into the rotate-fleet definition.
const RotateTargetStateMachinePlaceholder = "RotateTargetStateMachineArn"

// Steps lists every step; the CDK stack deploys one Lambda per entry and the
// local runner registers one handler per entry. The slice is the caller's own.
func Steps() []Step {
	list := make([]Step, len(steps))
	for i, s := range steps {
		list[i] = s.step
	}
	return list
}

// Valid reports whether s is one of [Steps].
func (s Step) Valid() bool { return slices.Contains(Steps(), s) }

// Placeholder is the name, written ${Name} in the definition of the step's
// Machine, that the step's Lambda ARN is substituted for; "" if s is not a
// step.
func (s Step) Placeholder() string {
	for _, entry := range steps {
		if entry.step == s {
			return entry.placeholder
		}
	}
	return ""
}

// Machine is the state machine that invokes the step; "" if s is not a step.
func (s Step) Machine() Machine {
	for _, entry := range steps {
		if entry.step == s {
			return entry.machine
		}
	}
	return ""
}

// StepsOf lists the steps that machine invokes, in [Steps] order.
func StepsOf(machine Machine) []Step {
	var list []Step
	for _, entry := range steps {
		if entry.machine == machine {
			list = append(list, entry.step)
		}
	}
	return list
}
