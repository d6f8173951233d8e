package asl

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// distributedDefinition is a Distributed Map over $.items whose processor
// fails the items that say so; extra goes into the Map state as is.
func distributedDefinition(extra string) []byte {
	return []byte(`{
  "StartAt": "Each",
  "States": {
    "Each": {
      "Type": "Map",
      "Label": "Each",
      "ItemsPath": "$.items",
      "ItemSelector": {"index.$": "$$.Map.Item.Index", "item.$": "$$.Map.Item.Value"},
      ` + extra + `
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Work",
        "States": {
          "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": "work", "Payload.$": "$"}, "ResultSelector": {"i.$": "$.Payload"}, "End": true}
        }
      },
      "End": true
    }
  }
}`)
}

// workItem is what each child's Task hands the work function.
type workItem struct {
	Index int `json:"index"`
	Item  struct {
		Fail bool `json:"fail"`
	} `json:"item"`
}

type itemFailedError struct{}

func (itemFailedError) Error() string { return "this item fails" }

func items(n int, failing ...int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `{"fail": false}`
	}
	for _, i := range failing {
		parts[i] = `{"fail": true}`
	}
	return `{"items": [` + strings.Join(parts, ", ") + `], "limit": 2, "tolerated": 20}`
}

func newDistributedHarness(t *testing.T, inflight, peak *atomic.Int32) *harness {
	return newHarness(t, map[string]any{
		"work": func(ctx context.Context, in workItem) (int, error) {
			if inflight != nil {
				n := inflight.Add(1)
				defer inflight.Add(-1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
			}
			if in.Item.Fail {
				return 0, itemFailedError{}
			}
			return in.Index, nil
		},
	})
}

// Each item is a child workflow execution with a history of its own; the
// parent's history tells only that the Map Run started and ended.
func TestDistributedMapRunsEachItemAsAChildExecution(t *testing.T) {
	var inflight, peak atomic.Int32
	h := newDistributedHarness(t, &inflight, &peak)
	arn := h.registerDefinition("fleet", distributedDefinition(`"MaxConcurrencyPath": "$.limit",`), nil)
	x := h.run(arn, items(9))
	requireStatus(t, x, StatusSucceeded)
	requireJSON(t, "output", x.Output(), `[{"i": 0}, {"i": 1}, {"i": 2}, {"i": 3}, {"i": 4}, {"i": 5}, {"i": 6}, {"i": 7}, {"i": 8}]`)

	want := []string{"ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapRunStarted", "MapRunSucceeded", "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"}
	if got := eventTypes(x, ""); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("parent history = %v, want %v", got, want)
	}
	runs := h.engine.MapRuns()
	if len(runs) != 1 {
		t.Fatalf("%d map runs, want 1", len(runs))
	}
	run := runs[0]
	if run.Status() != MapRunSucceeded || run.Counts() != (MapRunCounts{Succeeded: 9, Total: 9}) || run.MaxConcurrency() != 2 {
		t.Errorf("map run: status %s, counts %+v, concurrency %d", run.Status(), run.Counts(), run.MaxConcurrency())
	}
	if !strings.HasSuffix(strings.Split(run.ARN(), ":mapRun:")[1][:len("fleet/Each:")], "fleet/Each:") {
		t.Errorf("map run ARN %s", run.ARN())
	}
	if peak.Load() > 2 {
		t.Errorf("%d items ran at once, more than MaxConcurrencyPath's 2", peak.Load())
	}
	children := run.Children()
	if len(children) != 9 {
		t.Fatalf("%d child executions", len(children))
	}
	for i, c := range children {
		if c.Parent() != x || c.MapRun() != run || !strings.Contains(c.ARN(), ":execution:fleet/Each:") || c.StateMachineARN() != arn+"/Each" {
			t.Errorf("child %d: parent %v, ARN %s, machine %s", i, c.Parent() == x, c.ARN(), c.StateMachineARN())
		}
		requireJSON(t, "child input", c.Input(), fmt.Sprintf(`{"index": %d, "item": {"fail": false}}`, i))
		if got := eventTypes(c, ""); got[0] != "ExecutionStarted" || got[len(got)-1] != "ExecutionSucceeded" {
			t.Errorf("child history %v", got)
		}
	}
	// A child of a Distributed Map cannot be started on its own.
	if _, err := h.engine.Start(t.Context(), arn+"/Each", "", nil); !errorsIs(err, ErrStateMachineDoesNotExist) {
		t.Errorf("starting the Map's qualified machine: %v", err)
	}
}

func TestDistributedMapToleratesFailuresUpToItsThreshold(t *testing.T) {
	tests := []struct {
		name      string
		extra     string
		failing   []int
		want      Status
		succeeded int
	}{
		{"no threshold: one failure fails the run", ``, []int{3}, StatusFailed, -1},
		{"2 of 10 within 20%", `"ToleratedFailurePercentagePath": "$.tolerated",`, []int{1, 7}, StatusSucceeded, 8},
		{"3 of 10 beyond 20%", `"ToleratedFailurePercentage": 20,`, []int{1, 4, 7}, StatusFailed, -1},
		{"2 within a count of 2", `"ToleratedFailureCount": 2,`, []int{0, 9}, StatusSucceeded, 8},
		{"3 beyond a count of 2", `"ToleratedFailureCount": 2, "ToleratedFailurePercentage": 100,`, []int{0, 5, 9}, StatusFailed, -1},
		{"everything tolerated", `"ToleratedFailurePercentage": 100,`, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, StatusSucceeded, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newDistributedHarness(t, nil, nil)
			arn := h.registerDefinition("fleet", distributedDefinition(`"MaxConcurrency": 1, `+tt.extra), nil)
			x := h.run(arn, items(10, tt.failing...))
			requireStatus(t, x, tt.want)
			run := h.engine.MapRuns()[0]
			counts := run.Counts()
			if tt.want == StatusFailed {
				if x.Error() != "States.ExceedToleratedFailureThreshold" || run.Status() != MapRunFailed {
					t.Errorf("error %q, map run %s", x.Error(), run.Status())
				}
				// One at a time, the run stops at the failure that crosses the
				// threshold: no item after it starts.
				if last := tt.failing[len(tt.failing)-1]; counts.Total != 10 || counts.Succeeded+counts.Failed != last+1 || counts.Pending != 10-last-1 {
					t.Errorf("counts %+v after the failure of item %d", counts, last)
				}
				if n := len(eventsOf(x, "MapRunFailed")); n != 1 {
					t.Errorf("%d MapRunFailed events", n)
				}
				return
			}
			if counts != (MapRunCounts{Succeeded: tt.succeeded, Failed: len(tt.failing), Total: 10}) {
				t.Errorf("counts %+v", counts)
			}
			var out []map[string]int
			if err := jsonUnmarshal(x.Output(), &out); err != nil || len(out) != tt.succeeded {
				t.Errorf("output %s: a tolerated failure contributes no result", x.Output())
			}
		})
	}
}

// When the run fails, the items still running are stopped, and a Catch
// sees States.ExceedToleratedFailureThreshold.
func TestDistributedMapStopsRunningItemsWhenTheThresholdIsCrossed(t *testing.T) {
	release := make(chan struct{})
	started := make(chan int, 10)
	h := newHarness(t, map[string]any{
		"work": func(ctx context.Context, in workItem) (int, error) {
			started <- in.Index
			if in.Item.Fail {
				<-release
				return 0, itemFailedError{}
			}
			<-ctx.Done() // the others run until stopped
			return in.Index, nil
		},
	}, releaseHandlersAtCleanup(t))
	def := strings.Replace(string(distributedDefinition(`"MaxConcurrency": 4,`)), `"End": true
    }
  }
}`, `"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}], "End": true
    },
    "Caught": {"Type": "Pass", "End": true}
  }
}`, 1)
	arn := h.registerDefinition("fleet", []byte(def), nil)
	x, err := h.engine.Start(t.Context(), arn, "", []byte(items(10, 0)))
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		<-started
	}
	close(release)
	h.wait(x)
	requireStatus(t, x, StatusSucceeded)
	var out struct {
		Error struct{ Error string } `json:"error"`
	}
	if err := jsonUnmarshal(x.Output(), &out); err != nil || out.Error.Error != "States.ExceedToleratedFailureThreshold" {
		t.Errorf("caught %s", x.Output())
	}
	run := h.engine.MapRuns()[0]
	if counts := run.Counts(); counts != (MapRunCounts{Pending: 6, Failed: 1, Aborted: 3, Total: 10}) {
		t.Errorf("counts %+v, want 1 failed, the 3 running stopped, 6 never started", counts)
	}
	for _, c := range run.Children() {
		if c.Status() == StatusRunning {
			t.Errorf("child %s still running", c.Name())
		}
	}
}

// Stopping the parent stops its Map Run's children.
func TestStoppingTheParentStopsTheMapRun(t *testing.T) {
	started := make(chan int, 10)
	h := newHarness(t, map[string]any{
		"work": func(ctx context.Context, in workItem) (int, error) {
			started <- in.Index
			<-ctx.Done()
			return 0, ctx.Err()
		},
	}, releaseHandlersAtCleanup(t))
	arn := h.registerDefinition("fleet", distributedDefinition(`"MaxConcurrency": 3,`), nil)
	x, err := h.engine.Start(t.Context(), arn, "", []byte(items(10)))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		<-started
	}
	x.Stop("Operator", "stopped by a test")
	h.wait(x)
	requireStatus(t, x, StatusAborted)
	run := h.engine.MapRuns()[0]
	ctx, cancel := context.WithTimeout(t.Context(), testWait)
	defer cancel()
	for _, c := range run.Children() {
		if err := c.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if c.Status() != StatusAborted {
			t.Errorf("child %s is %s, want ABORTED", c.Name(), c.Status())
		}
	}
	if run.Status() != MapRunAborted {
		t.Errorf("map run %s", run.Status())
	}
}
