package asl

import (
	"fmt"
	"sync"
	"testing"
)

func TestConcurrentExecutionsOfOneMachine(t *testing.T) {
	h := newHarness(t, map[string]any{
		"echo": func(in struct{ Value, Retry int }) (int, error) { return in.Value * 2, nil },
	})
	arn := h.register("task.asl.json", map[string]string{"EchoFunction": "echo"})
	const n = 40
	executions := make([]*Execution, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			x, err := h.engine.Start(t.Context(), arn, fmt.Sprintf("run-%d", i), []byte(fmt.Sprintf(`{"request": {"value": %d}}`, i)))
			if err != nil {
				t.Error(err)
				return
			}
			executions[i] = x
		})
	}
	wg.Wait()
	for i, x := range executions {
		if x == nil {
			t.FailNow()
		}
		h.wait(x)
		requireStatus(t, x, StatusSucceeded)
		requireJSON(t, x.Name(), x.Output(), fmt.Sprintf(`{"echoed": %d, "status": 200, "version": "$LATEST"}`, 2*i))
	}
	if got := len(h.engine.Executions()); got != n {
		t.Errorf("Executions() has %d, want %d", got, n)
	}
}
