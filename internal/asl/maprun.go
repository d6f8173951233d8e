package asl

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MapRunStatus is a Map Run's status, as DescribeMapRun reports it.
type MapRunStatus string

// Map Run statuses.
const (
	MapRunRunning   MapRunStatus = "RUNNING"
	MapRunSucceeded MapRunStatus = "SUCCEEDED"
	MapRunFailed    MapRunStatus = "FAILED"
	MapRunAborted   MapRunStatus = "ABORTED"
)

// MapRunCounts counts a Map Run's items by what became of them, as
// DescribeMapRun's itemCounts and executionCounts do. Each item is one
// child workflow execution here, so both counts are the same.
type MapRunCounts struct {
	Pending, Running, Succeeded, Failed, TimedOut, Aborted, Total int
}

// MapRun is one run of a Map state in DISTRIBUTED mode: every item is a
// child workflow execution of the Map's item processor, with a history of
// its own, at most MaxConcurrency at a time. The parent's history records
// only that the Map Run started and how it ended, however many items it
// has. Its methods are safe for concurrent use.
type MapRun struct {
	arn                        string
	label                      string
	state                      string
	execution                  *Execution
	maxConcurrency             int
	toleratedFailurePercentage *float64
	toleratedFailureCount      *int64
	startTime                  time.Time

	mu       sync.Mutex
	status   MapRunStatus
	counts   MapRunCounts
	children []*Execution
	stopTime time.Time
}

// ARN returns the Map Run's ARN:
// arn:<partition>:states:<region>:<account>:mapRun:<machine>/<label>:<id>.
func (m *MapRun) ARN() string { return m.arn }

// Label is the Map state's Label, or the Map Run's generated one.
func (m *MapRun) Label() string { return m.label }

// StateName is the Map state that ran.
func (m *MapRun) StateName() string { return m.state }

// Execution is the execution whose Map state started the run.
func (m *MapRun) Execution() *Execution { return m.execution }

// MaxConcurrency is the run's effective bound on child executions at once.
func (m *MapRun) MaxConcurrency() int { return m.maxConcurrency }

// ToleratedFailurePercentage and ToleratedFailureCount are the run's
// thresholds; ok is false for one the Map state does not set.
func (m *MapRun) ToleratedFailurePercentage() (p float64, ok bool) {
	if m.toleratedFailurePercentage == nil {
		return 0, false
	}
	return *m.toleratedFailurePercentage, true
}

func (m *MapRun) ToleratedFailureCount() (n int64, ok bool) {
	if m.toleratedFailureCount == nil {
		return 0, false
	}
	return *m.toleratedFailureCount, true
}

// Status returns the run's status.
func (m *MapRun) Status() MapRunStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

// Counts returns the run's item counts so far.
func (m *MapRun) Counts() MapRunCounts {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts
}

// Children returns the child workflow executions started so far, in the
// order they started.
func (m *MapRun) Children() []*Execution {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Execution(nil), m.children...)
}

// StartTime and StopTime bound the run on the engine's clock; StopTime is
// zero while it runs.
func (m *MapRun) StartTime() time.Time { return m.startTime }

func (m *MapRun) StopTime() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopTime
}

// exceeded reports whether the failures so far cross a threshold the Map
// sets. A Map that sets neither tolerates no failure at all. Step
// Functions counts failed and timed-out items against the total; an item
// whose execution was stopped by someone else counts as failed here too.
// Called with m.mu held.
func (m *MapRun) exceeded() bool {
	failures := m.counts.Failed + m.counts.TimedOut + m.counts.Aborted
	if m.toleratedFailurePercentage == nil && m.toleratedFailureCount == nil {
		return failures > 0
	}
	if m.toleratedFailureCount != nil && int64(failures) > *m.toleratedFailureCount {
		return true
	}
	return m.toleratedFailurePercentage != nil && float64(failures)*100 > *m.toleratedFailurePercentage*float64(m.counts.Total)
}

// MapRuns returns every Map Run started so far, in the order they started.
func (e *Engine) MapRuns() []*MapRun {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*MapRun(nil), e.mapRuns...)
}

// distributedSettings resolves the Map Run's concurrency and thresholds,
// from the definition or from the state's effective input.
func (sr *stateRun) distributedSettings(input any) (limit int, percentage *float64, count *int64, err error) {
	spec := sr.st.mapState
	limit, percentage, count = spec.maxConcurrency, spec.toleratedPercentage, spec.toleratedCount
	read := func(field string, p *jsonPath) (any, error) {
		v, err := p.query(input)
		if err != nil {
			return nil, runtimeFailure(sr.st.name, "Invalid %s: %v", field, err)
		}
		return v, nil
	}
	if p := spec.maxConcurrencyPath; p != nil {
		v, err := read("MaxConcurrencyPath", p)
		if err != nil {
			return 0, nil, nil, err
		}
		n, ok := integer(v)
		if !ok || n < 0 || n > maxDistributedConcurrency {
			return 0, nil, nil, runtimeFailure(sr.st.name, "Invalid MaxConcurrencyPath: %s must be an integer from 0 to %d, not %s", p, maxDistributedConcurrency, string(encodeJSON(v)))
		}
		limit = int(n)
	}
	if p := spec.toleratedPercentagePath; p != nil {
		v, err := read("ToleratedFailurePercentagePath", p)
		if err != nil {
			return 0, nil, nil, err
		}
		f, ok := number(v)
		if !ok || f < 0 || f > 100 {
			return 0, nil, nil, runtimeFailure(sr.st.name, "Invalid ToleratedFailurePercentagePath: %s must be a number from 0 to 100, not %s", p, string(encodeJSON(v)))
		}
		percentage = &f
	}
	if p := spec.toleratedCountPath; p != nil {
		v, err := read("ToleratedFailureCountPath", p)
		if err != nil {
			return 0, nil, nil, err
		}
		n, ok := integer(v)
		if !ok || n < 0 {
			return 0, nil, nil, runtimeFailure(sr.st.name, "Invalid ToleratedFailureCountPath: %s must be a non-negative integer, not %s", p, string(encodeJSON(v)))
		}
		count = &n
	}
	if limit == 0 {
		limit = maxDistributedConcurrency
	}
	return limit, percentage, count, nil
}

// distributedAttempt runs one attempt of a Map state in DISTRIBUTED mode
// over its (already selected) item inputs. Each item is a child workflow
// execution; the result is the outputs of those that succeeded, in item
// order (an item whose failure the Map tolerates contributes none). When
// more items fail than the Map tolerates, it stops the child executions
// still running, starts no more, and fails with
// States.ExceedToleratedFailureThreshold.
func (sr *stateRun) distributedAttempt(ctx context.Context, input any, inputs []any) (any, error) {
	limit, percentage, count, err := sr.distributedSettings(input)
	if err != nil {
		return nil, err
	}
	run := sr.e.newMapRun(sr, limit, percentage, count, len(inputs))
	sr.x.record(Event{Type: "MapStateStarted", State: sr.st.name, Output: encodeJSON(map[string]any{"length": intValue(int64(len(inputs)))})})
	sr.x.record(Event{Type: "MapRunStarted", State: sr.st.name, Output: encodeJSON(map[string]any{"mapRunArn": run.arn})})

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	machine := &stateMachine{
		name:       sr.x.machine.name + "/" + run.label,
		arn:        sr.x.machine.arn + "/" + run.label,
		definition: &Definition{root: sr.st.mapState.processor},
	}
	outputs := make([]any, len(inputs))
	succeeded := make([]bool, len(inputs))
	var (
		wg       sync.WaitGroup
		failedMu sync.Mutex
		failed   bool
	)
	slots := make(chan struct{}, limit)
dispatch:
	for i, item := range inputs {
		select {
		case slots <- struct{}{}:
		case <-runCtx.Done():
			break dispatch
		}
		if runCtx.Err() != nil {
			<-slots
			break
		}
		child, err := sr.e.startMapRunChild(run, machine, item)
		if err != nil {
			<-slots
			cancel()
			wg.Wait()
			run.mu.Lock()
			run.status, run.stopTime = MapRunFailed, sr.e.clock.Now()
			run.mu.Unlock()
			sr.x.record(Event{Type: "MapRunFailed", State: sr.st.name, Error: errDataLimitExceeded})
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			select {
			case <-child.done:
			case <-runCtx.Done():
				child.Stop("", fmt.Sprintf("The Map Run %s was stopped.", run.arn))
				<-child.done
			}
			status := child.Status()
			run.mu.Lock()
			run.counts.Running--
			switch status {
			case StatusSucceeded:
				run.counts.Succeeded++
			case StatusFailed:
				run.counts.Failed++
			case StatusTimedOut:
				run.counts.TimedOut++
			default:
				run.counts.Aborted++
			}
			breach := status != StatusSucceeded && runCtx.Err() == nil && run.exceeded()
			run.mu.Unlock()
			if status == StatusSucceeded {
				outputs[i], _ = decodeJSON(child.Output())
				succeeded[i] = true
			}
			if breach {
				failedMu.Lock()
				failed = true
				failedMu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()

	run.mu.Lock()
	run.stopTime = sr.e.clock.Now()
	switch {
	case failed:
		run.status = MapRunFailed
	case ctx.Err() != nil:
		run.status = MapRunAborted
	default:
		run.status = MapRunSucceeded
	}
	status := run.status
	run.mu.Unlock()

	switch status {
	case MapRunAborted:
		return nil, ctx.Err()
	case MapRunFailed:
		f := &failure{name: errExceedToleratedFailureThreshold, cause: fmt.Sprintf("The Map Run %s failed: more of its %d items failed than it tolerates.", run.arn, len(inputs))}
		sr.x.record(Event{Type: "MapRunFailed", State: sr.st.name, Error: f.name, Cause: f.cause})
		sr.x.record(Event{Type: "MapStateFailed", State: sr.st.name})
		return nil, f
	}
	sr.x.record(Event{Type: "MapRunSucceeded", State: sr.st.name})
	sr.x.record(Event{Type: "MapStateSucceeded", State: sr.st.name})
	results := make([]any, 0, len(inputs))
	for i, ok := range succeeded {
		if ok {
			results = append(results, outputs[i])
		}
	}
	return results, nil
}

// newMapRun registers a Map Run of the state being run.
func (e *Engine) newMapRun(sr *stateRun, limit int, percentage *float64, count *int64, items int) *MapRun {
	label := sr.st.mapState.label
	id := newUUID()
	if label == "" {
		label = id[:8]
	}
	run := &MapRun{
		arn:                        fmt.Sprintf("arn:%s:states:%s:%s:mapRun:%s/%s:%s", partition(e.region), e.region, e.account, sr.x.machine.name, label, id),
		label:                      label,
		state:                      sr.st.name,
		execution:                  sr.x,
		maxConcurrency:             limit,
		toleratedFailurePercentage: percentage,
		toleratedFailureCount:      count,
		startTime:                  e.clock.Now(),
		status:                     MapRunRunning,
		counts:                     MapRunCounts{Pending: items, Total: items},
	}
	e.mu.Lock()
	e.mapRuns = append(e.mapRuns, run)
	e.mu.Unlock()
	return run
}

// startMapRunChild starts the child workflow execution of one item.
func (e *Engine) startMapRunChild(run *MapRun, machine *stateMachine, item any) (*Execution, error) {
	name := newUUID()
	arn := fmt.Sprintf("arn:%s:states:%s:%s:execution:%s:%s", partition(e.region), e.region, e.account, machine.name, name)
	if n := len(encodeJSON(item)); n > payloadLimit {
		return nil, &failure{name: errDataLimitExceeded, cause: fmt.Sprintf("The state/task '%s' produced an item of %d bytes, more than the maximum number of bytes service limit.", run.state, n)}
	}
	e.mu.Lock()
	x := newExecution(e, machine, arn, name, item, run.execution)
	x.mapRun = run
	e.executions = append(e.executions, x)
	e.byARN[arn] = x
	e.mu.Unlock()

	run.mu.Lock()
	run.counts.Pending--
	run.counts.Running++
	run.children = append(run.children, x)
	run.mu.Unlock()
	x.begin()
	return x, nil
}

// MapRun returns the Map Run that started x as one of its child workflow
// executions, or nil.
func (x *Execution) MapRun() *MapRun { return x.mapRun }
