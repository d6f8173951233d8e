package asl

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

type mapItem struct {
	Index int    `json:"index"`
	Value string `json:"value"`
	Tag   string `json:"tag"`
}

func TestMapBoundsConcurrencyAndKeepsItemOrder(t *testing.T) {
	const items, limit = 7, 3 // map.asl.json's MaxConcurrency is 3
	var inflight atomic.Int32
	arrived := make(chan int32)
	release := make(chan struct{})
	h := newHarness(t, map[string]any{
		"work": func(ctx context.Context, in mapItem) (string, error) {
			arrived <- inflight.Add(1)
			defer inflight.Add(-1)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return fmt.Sprintf("%d:%s:%s", in.Index, in.Value, in.Tag), nil
		},
	})
	x, err := h.engine.Start(t.Context(), h.register("map.asl.json", nil), "", []byte(`{"tag": "t", "items": ["a", "b", "c", "d", "e", "f", "g"]}`))
	if err != nil {
		t.Fatal(err)
	}
	// Keep every slot busy until the test releases one: a Map that starts
	// more than MaxConcurrency iterations shows up as an arrival that sees
	// more than `limit` handlers in flight.
	var peak int32
	received := 0
	for released := range items {
		for received-released < min(limit, items-released) {
			select {
			case n := <-arrived:
				peak = max(peak, n)
				received++
			case <-t.Context().Done():
				t.Fatal("test ended while waiting for the handlers")
			}
		}
		release <- struct{}{}
	}
	h.wait(x)
	requireStatus(t, x, StatusSucceeded)
	if peak != limit {
		t.Errorf("at most %d handlers ran at once, want exactly MaxConcurrency %d", peak, limit)
	}
	requireJSON(t, "output", x.Output(), `{"tag": "t", "items": ["a", "b", "c", "d", "e", "f", "g"],
		"results": ["0:a:t", "1:b:t", "2:c:t", "3:d:t", "4:e:t", "5:f:t", "6:g:t"]}`)
	if got := len(eventsOf(x, "MapIterationSucceeded")); got != items {
		t.Errorf("%d MapIterationSucceeded events, want %d", got, items)
	}
	if got := x.Transitions(); got != 1+items {
		t.Errorf("Transitions() = %d, want %d: the Map and one state per iteration", got, 1+items)
	}
}

func TestMapFailureStopsTheOtherIterations(t *testing.T) {
	started := make(chan struct{}, 10)
	h := newHarness(t, map[string]any{
		"work": func(ctx context.Context, in mapItem) (string, error) {
			started <- struct{}{}
			if in.Value == "bad" {
				return "", &TransientError{Reason: "item " + in.Value}
			}
			<-ctx.Done() // never finishes on its own; the failure must not wait for it
			return "", ctx.Err()
		},
	}, releaseHandlersAtCleanup(t))
	x := h.run(h.register("map.asl.json", nil), `{"tag": "t", "items": ["slow", "bad", "x", "y", "z"]}`)
	requireStatus(t, x, StatusSucceeded)
	output := string(x.Output())
	if !strings.Contains(output, `"Error":"TransientError"`) || strings.Contains(output, `"results"`) {
		t.Errorf("output = %s, want the Map's Catch to hold the iteration's TransientError", output)
	}
	if got := len(started); got > 3 {
		t.Errorf("%d iterations started, want no more than MaxConcurrency 3 before the failure stopped the rest", got)
	}
	types := eventTypes(x, "Each")
	for _, want := range []string{"MapStateStarted", "MapIterationFailed", "MapIterationAborted", "MapStateFailed"} {
		if !slices.Contains(types, want) {
			t.Errorf("Map events %v lack %s", types, want)
		}
	}
}

func TestMapOverNothing(t *testing.T) {
	h := newHarness(t, nil)
	x := h.run(h.register("map.asl.json", nil), `{"tag": "t", "items": []}`)
	requireStatus(t, x, StatusSucceeded)
	requireJSON(t, "output", x.Output(), `{"tag": "t", "items": [], "results": []}`)
}

// TestConcurrentInvocationsKeepTheirOwnOutput guards against
// aws-lambda-go's Invoke handing back a pooled buffer that a concurrent
// invocation of the same handler can overwrite. Without the executor's
// guard, the race detector reports it every time and plain runs
// occasionally see one item's output in another's place.
func TestConcurrentInvocationsKeepTheirOwnOutput(t *testing.T) {
	const n = 200
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf("item-%03d", i)
	}
	input := mustJSON(t, map[string]any{"tag": "t", "items": items})
	wide := strings.Replace(readTestdata(t, "map.asl.json"), `"MaxConcurrency": 3`, `"MaxConcurrency": 0`, 1)

	t.Run("handlers returning a value", func(t *testing.T) {
		h := newHarness(t, map[string]any{"work": func(in mapItem) (mapItem, error) { return in, nil }})
		x := h.run(h.registerDefinition("wide", []byte(wide), nil), input)
		requireStatus(t, x, StatusSucceeded)
		var out struct{ Results []mapItem }
		if err := jsonUnmarshal(x.Output(), &out); err != nil {
			t.Fatal(err)
		}
		for i, r := range out.Results {
			if r.Index != i || r.Value != items[i] {
				t.Fatalf("result %d = %+v, want index %d value %s", i, r, i, items[i])
			}
		}
	})
	t.Run("handlers returning only an error", func(t *testing.T) {
		h := newHarness(t, map[string]any{"work": func(in mapItem) error { return nil }})
		x := h.run(h.registerDefinition("wide", []byte(wide), nil), input)
		requireStatus(t, x, StatusSucceeded)
		var out struct{ Results []any }
		if err := jsonUnmarshal(x.Output(), &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Results) != n || slices.ContainsFunc(out.Results, func(r any) bool { return r != nil }) {
			t.Fatalf("results = %v, want %d nulls", out.Results, n)
		}
	})
}

func TestParallelBranches(t *testing.T) {
	tests := []struct {
		name    string
		handler any
		want    string
	}{
		{"results in branch order", func(in struct{ N int }) (int, error) { return in.N * 10, nil }, `{"double": 6, "called": 30}`},
		{"a failing branch fails the state", func() (int, error) { return 0, PermanentError{} }, `{"Error": "PermanentError", "Cause": "{\"errorMessage\":\"permanent\",\"errorType\":\"PermanentError\",\"stackTrace\":[]}"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, map[string]any{"work": tt.handler})
			x := h.run(h.register("parallel.asl.json", nil), `{"n": 3}`)
			requireStatus(t, x, StatusSucceeded)
			requireJSON(t, "output", x.Output(), tt.want)
		})
	}
}

func TestLegacyMapFields(t *testing.T) {
	def := []byte(`{"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items",
		"Parameters": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
		"Iterator": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": true}}},
		"End": true}}}`)
	h := newHarness(t, nil)
	x := h.run(h.registerDefinition("legacy", def, nil), `{"items": ["a", "b"]}`)
	requireStatus(t, x, StatusSucceeded)
	requireJSON(t, "output", x.Output(), `[{"value": "a", "index": 0}, {"value": "b", "index": 1}]`)
}
