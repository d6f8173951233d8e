package asl

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// TransientError is a typed handler error, named as Step Functions sees it.
type TransientError struct{ Reason string }

func (e *TransientError) Error() string { return "transient: " + e.Reason }

// PermanentError is another typed handler error.
type PermanentError struct{}

func (PermanentError) Error() string { return "permanent" }

// retryDefinition is a one-Task machine calling "flaky" with the given
// Retry array and a Catch of everything into $.error.
func retryDefinition(retry string) []byte {
	return []byte(`{"StartAt": "Call", "States": {
		"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
			"Parameters": {"FunctionName": "flaky", "Payload": {"retry.$": "$$.State.RetryCount"}},
			"Retry": ` + retry + `,
			"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "GaveUp"}],
			"End": true},
		"GaveUp": {"Type": "Pass", "End": true}}}`)
}

func TestRetryBackoffOnTheVirtualClock(t *testing.T) {
	tests := []struct {
		name      string
		retry     string
		failures  int // how many calls fail before one succeeds
		wantSleep []time.Duration
		wantCalls int
		caught    bool
	}{
		{
			name:      "doubling until MaxAttempts",
			retry:     `[{"ErrorEquals": ["TransientError"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 3}]`,
			failures:  10,
			wantSleep: seconds(2, 4, 8),
			wantCalls: 4,
			caught:    true,
		},
		{
			name:      "capped by MaxDelaySeconds",
			retry:     `[{"ErrorEquals": ["TransientError"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 5, "MaxDelaySeconds": 5}]`,
			failures:  10,
			wantSleep: seconds(2, 4, 5, 5, 5),
			wantCalls: 6,
			caught:    true,
		},
		{
			name:      "defaults: 1 s, rate 2, 3 attempts",
			retry:     `[{"ErrorEquals": ["States.ALL"]}]`,
			failures:  10,
			wantSleep: seconds(1, 2, 4),
			wantCalls: 4,
			caught:    true,
		},
		{
			name:      "fractional backoff rate",
			retry:     `[{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "BackoffRate": 1.5, "MaxAttempts": 3}]`,
			failures:  10,
			wantSleep: seconds(1, 1.5, 2.25),
			wantCalls: 4,
			caught:    true,
		},
		{
			name:      "succeeds on the second retry",
			retry:     `[{"ErrorEquals": ["TransientError"], "IntervalSeconds": 3}]`,
			failures:  2,
			wantSleep: seconds(3, 6),
			wantCalls: 3,
		},
		{
			name:      "MaxAttempts 0 never retries",
			retry:     `[{"ErrorEquals": ["TransientError"], "MaxAttempts": 0}]`,
			failures:  10,
			wantCalls: 1,
			caught:    true,
		},
		{
			name:      "only the first matching retrier applies, even exhausted",
			retry:     `[{"ErrorEquals": ["TransientError"], "MaxAttempts": 1}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}]`,
			failures:  10,
			wantSleep: seconds(1),
			wantCalls: 2,
			caught:    true,
		},
		{
			name:      "States.TaskFailed matches a function error",
			retry:     `[{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 4, "MaxAttempts": 1}]`,
			failures:  10,
			wantSleep: seconds(4),
			wantCalls: 2,
			caught:    true,
		},
		{
			name:      "a retrier for another error does not apply",
			retry:     `[{"ErrorEquals": ["PermanentError"], "MaxAttempts": 5}]`,
			failures:  10,
			wantCalls: 1,
			caught:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var retryCounts []float64
			h := newHarness(t, map[string]any{
				"flaky": func(in struct{ Retry float64 }) (string, error) {
					retryCounts = append(retryCounts, in.Retry)
					if len(retryCounts) <= tt.failures {
						return "", &TransientError{Reason: fmt.Sprint("call ", len(retryCounts))}
					}
					return "fine", nil
				},
			})
			x := h.run(h.registerDefinition("retry", retryDefinition(tt.retry), nil), `{}`)
			requireStatus(t, x, StatusSucceeded)
			if got := h.clock.Sleeps(); !slices.Equal(got, tt.wantSleep) {
				t.Errorf("virtual sleeps = %v, want %v", got, tt.wantSleep)
			}
			if len(retryCounts) != tt.wantCalls {
				t.Fatalf("handler called %d times, want %d", len(retryCounts), tt.wantCalls)
			}
			for i, n := range retryCounts {
				if int(n) != i {
					t.Errorf("call %d saw $$.State.RetryCount %v, want %d", i, n, i)
				}
			}
			if h.clock.Now() != epoch.Add(sum(tt.wantSleep)) {
				t.Errorf("virtual time advanced by %v, want %v", h.clock.Now().Sub(epoch), sum(tt.wantSleep))
			}
			if caught := slices.Contains(eventTypes(x, "GaveUp"), "PassStateEntered"); caught != tt.caught {
				t.Errorf("caught = %v, want %v", caught, tt.caught)
			}
			wantTransitions := 1 + len(tt.wantSleep)
			if tt.caught {
				wantTransitions++
			}
			if got := x.Transitions(); got != wantTransitions {
				t.Errorf("Transitions() = %d, want %d (states entered plus retries)", got, wantTransitions)
			}
			if got := len(eventsOf(x, "TaskFailed")); got != min(tt.wantCalls, tt.failures) {
				t.Errorf("%d TaskFailed events, want %d", got, min(tt.wantCalls, tt.failures))
			}
		})
	}
}

func sum(ds []time.Duration) time.Duration {
	var total time.Duration
	for _, d := range ds {
		total += d
	}
	return total
}

func TestFullJitterIsBoundedAndRepeatable(t *testing.T) {
	const retry = `[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": 4, "MaxDelaySeconds": 10, "JitterStrategy": "FULL"}]`
	ceilings := seconds(2, 4, 8, 10)
	sleepsWithSeed := func(seed uint64) []time.Duration {
		clock := NewFakeClock(epoch)
		e := NewEngine(EngineOptions{
			Clock:     clock,
			Rand:      rand.New(rand.NewPCG(seed, seed)),
			Functions: map[string]lambda.Handler{"flaky": lambda.NewHandler(func() error { return &TransientError{} })},
		})
		arn, err := e.Register("jitter", retryDefinition(retry), nil)
		if err != nil {
			t.Fatal(err)
		}
		x, err := e.Start(t.Context(), arn, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		return clock.Sleeps()
	}
	first := sleepsWithSeed(7)
	if len(first) != len(ceilings) {
		t.Fatalf("sleeps = %v, want %d of them", first, len(ceilings))
	}
	jittered := false
	for i, d := range first {
		if d < 0 || d > ceilings[i] {
			t.Errorf("retry %d slept %v, outside [0, %v]", i, d, ceilings[i])
		}
		jittered = jittered || d != ceilings[i]
	}
	if !jittered {
		t.Errorf("sleeps %v are exactly the un-jittered delays", first)
	}
	if again := sleepsWithSeed(7); !slices.Equal(first, again) {
		t.Errorf("same seed gave %v then %v", first, again)
	}
	if other := sleepsWithSeed(8); slices.Equal(first, other) {
		t.Errorf("seeds 7 and 8 both gave %v", first)
	}
}
