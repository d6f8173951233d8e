package localenv

import (
	"context"
	"sync"
	"time"
)

// VirtualClock is the local deployment's clock: it stands still while the
// system works and jumps to the next wake-up time when everything that runs
// is waiting, the way a discrete-event simulation does. A 24-hour grace
// period then takes no time, yet concurrent executions keep coherent times:
// one execution's Wait does not make another's Create look a day long.
//
// "Everything is waiting" is judged by quiet: no call to Now or Sleep for
// quietPeriod of real time while someone sleeps. Work in flight (a handler's
// HTTP call, an emulator answering) calls Now often enough to hold time.
type VirtualClock struct {
	mu       sync.Mutex
	now      time.Time
	activity uint64
	waiters  map[*waiter]struct{}
	kick     chan struct{}
	once     sync.Once
}

type waiter struct {
	at   time.Time
	wake chan struct{}
}

// quietPeriod is how long nothing must happen before time jumps.
const quietPeriod = 2 * time.Millisecond

// NewVirtualClock returns a clock standing at start.
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start, waiters: map[*waiter]struct{}{}, kick: make(chan struct{}, 1)}
}

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.activity++
	return c.now
}

// Sleep blocks until virtual time has moved d forward, or ctx ends.
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.once.Do(func() { go c.run() })
	w := &waiter{wake: make(chan struct{})}
	c.mu.Lock()
	c.activity++
	w.at = c.now.Add(d)
	c.waiters[w] = struct{}{}
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
	select {
	case <-w.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiters, w)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// run advances time whenever the system has been quiet with sleepers.
func (c *VirtualClock) run() {
	for {
		c.mu.Lock()
		idle := len(c.waiters) == 0
		seen := c.activity
		c.mu.Unlock()
		if idle {
			<-c.kick
			continue
		}
		time.Sleep(quietPeriod)
		c.mu.Lock()
		if c.activity == seen && len(c.waiters) > 0 {
			c.advanceLocked()
		}
		c.mu.Unlock()
	}
}

// advanceLocked moves time to the earliest wake-up and wakes everyone due.
func (c *VirtualClock) advanceLocked() {
	var next time.Time
	for w := range c.waiters {
		if next.IsZero() || w.at.Before(next) {
			next = w.at
		}
	}
	if next.After(c.now) {
		c.now = next
	}
	for w := range c.waiters {
		if !w.at.After(c.now) {
			delete(c.waiters, w)
			close(w.wake)
		}
	}
	c.activity++
}
