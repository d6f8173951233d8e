package asl

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestFakeClockSleepMovesVirtualTime(t *testing.T) {
	c := NewFakeClock(epoch)
	for _, d := range []time.Duration{time.Hour, 0, -time.Minute, 30 * time.Second} {
		if err := c.Sleep(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	c.Advance(time.Second)
	if want := epoch.Add(time.Hour + 31*time.Second); !c.Now().Equal(want) {
		t.Errorf("Now() = %v, want %v", c.Now(), want)
	}
	if got := c.Sleeps(); !slices.Equal(got, []time.Duration{time.Hour, 0, -time.Minute, 30 * time.Second}) {
		t.Errorf("Sleeps() = %v", got)
	}
}

func TestFakeClockConcurrentSleepers(t *testing.T) {
	c := NewFakeClock(epoch)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { _ = c.Sleep(context.Background(), time.Second) })
	}
	wg.Wait()
	if got := c.Now().Sub(epoch); got != 50*time.Second {
		t.Errorf("50 one-second sleeps moved the clock %v", got)
	}
}

func TestSleepHonoursADoneContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for name, c := range map[string]Clock{"fake": NewFakeClock(epoch), "real": RealClock()} {
		if err := c.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
			t.Errorf("%s clock: Sleep on a canceled context = %v", name, err)
		}
	}
}
