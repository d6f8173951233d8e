package asl

import (
	"context"
	"sync"
)

// mapAttempt runs one attempt of a Map state: every item of ItemsPath runs
// through the item processor, at most MaxConcurrency at a time, and the
// results come back in item order. INLINE, the first iteration that fails
// stops the others and fails the attempt with its error; DISTRIBUTED, see
// distributedAttempt.
func (sr *stateRun) mapAttempt(ctx context.Context) (any, error) {
	input, err := sr.effectiveInput()
	if err != nil {
		return nil, err
	}
	spec := sr.st.mapState
	itemsValue := input
	if spec.itemsPath != nil {
		if itemsValue, err = spec.itemsPath.query(input); err != nil {
			return nil, runtimeFailure(sr.st.name, "Invalid ItemsPath: %v", err)
		}
	}
	items, ok := itemsValue.([]any)
	if !ok {
		return nil, runtimeFailure(sr.st.name, "Invalid ItemsPath: the items must be an array, not %s", jsonType(itemsValue))
	}
	if !spec.distributed {
		sr.x.record(Event{Type: "MapStateStarted", State: sr.st.name, Output: encodeJSON(map[string]any{"length": intValue(int64(len(items)))})})
	}

	inputs := make([]any, len(items))
	for i, item := range items {
		inputs[i] = item
		if spec.itemSelector == nil {
			continue
		}
		env := sr.env(input)
		env.context.(map[string]any)["Map"] = map[string]any{"Item": map[string]any{"Index": intValue(int64(i)), "Value": item}}
		if inputs[i], err = sr.applyTemplate("ItemSelector", spec.itemSelector, env); err != nil {
			if !spec.distributed {
				sr.x.record(Event{Type: "MapStateFailed", State: sr.st.name})
			}
			return nil, err
		}
	}
	if spec.distributed {
		results, err := sr.distributedAttempt(ctx, input, inputs)
		if err != nil {
			return nil, err
		}
		return sr.finish(results)
	}
	results, err := sr.runConcurrently(ctx, len(inputs), spec.maxConcurrency, func(ctx context.Context, i int) (any, error) {
		return sr.runMachine(ctx, spec.processor, inputs[i])
	}, "MapIteration")
	if err != nil {
		sr.x.record(Event{Type: "MapStateFailed", State: sr.st.name})
		return nil, err
	}
	sr.x.record(Event{Type: "MapStateSucceeded", State: sr.st.name})
	return sr.finish(results)
}

// parallelAttempt runs one attempt of a Parallel state: every branch runs
// on the effective input (shaped by Parameters) at once, and the results
// come back in branch order.
func (sr *stateRun) parallelAttempt(ctx context.Context) (any, error) {
	input, err := sr.effectiveInput()
	if err != nil {
		return nil, err
	}
	if input, err = sr.applyTemplate("Parameters", sr.st.parameters, sr.env(input)); err != nil {
		return nil, err
	}
	sr.x.record(Event{Type: "ParallelStateStarted", State: sr.st.name})
	results, err := sr.runConcurrently(ctx, len(sr.st.branches), 0, func(ctx context.Context, i int) (any, error) {
		return sr.runMachine(ctx, sr.st.branches[i], input)
	}, "")
	if err != nil {
		sr.x.record(Event{Type: "ParallelStateFailed", State: sr.st.name})
		return nil, err
	}
	sr.x.record(Event{Type: "ParallelStateSucceeded", State: sr.st.name})
	return sr.finish(results)
}

// runConcurrently runs n jobs, at most limit at a time (0: all at once),
// and returns their results in job order. The first job to fail cancels
// the others, which are then recorded as aborted, and its error is
// returned. iterationEvents, when not empty, is the prefix of the per-job
// history events ("MapIteration").
func (sr *stateRun) runConcurrently(parent context.Context, n, limit int, job func(context.Context, int) (any, error), iterationEvents string) ([]any, error) {
	if limit <= 0 || limit > n {
		limit = max(n, 1)
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	// fail keeps the first error and cancels the other jobs; it reports
	// whether err was the first.
	fail := func(err error) bool {
		mu.Lock()
		defer mu.Unlock()
		if firstErr != nil {
			return false
		}
		firstErr = err
		cancel()
		return true
	}
	record := func(suffix string, i int) {
		if iterationEvents != "" {
			sr.x.record(Event{Type: iterationEvents + suffix, State: sr.st.name, Index: i})
		}
	}
	results := make([]any, n)
	slots := make(chan struct{}, limit)
dispatch:
	for i := range n {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break dispatch
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			record("Started", i)
			out, err := job(ctx, i)
			switch {
			case err == nil:
				results[i] = out
				record("Succeeded", i)
			case fail(err):
				record("Failed", i)
			default:
				record("Aborted", i)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := parent.Err(); err != nil {
		return nil, err // stopped before any job could fail
	}
	return results, nil
}
