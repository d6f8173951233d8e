package asl

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Retrier defaults and bounds, as the Amazon States Language defines them.
const (
	defaultRetryInterval = 1 * time.Second
	defaultMaxAttempts   = 3
	defaultBackoffRate   = 2.0
	maxRetryField        = 99999999
	maxDelayLimit        = 31622400 // seconds, one year
)

// retrier is one entry of a state's Retry.
type retrier struct {
	errorEquals []string
	interval    time.Duration
	maxAttempts int
	backoffRate float64
	maxDelay    time.Duration // 0: no cap
	fullJitter  bool
}

// delay is the wait before retry number n (0 for the first retry):
// IntervalSeconds × BackoffRate^n, capped by MaxDelaySeconds, then with
// FULL jitter drawn uniformly between zero and that value.
func (r *retrier) delay(n int, random func() float64) time.Duration {
	d := float64(r.interval) * math.Pow(r.backoffRate, float64(n))
	if r.maxDelay > 0 && d > float64(r.maxDelay) {
		d = float64(r.maxDelay)
	}
	if r.fullJitter {
		d *= random()
	}
	return time.Duration(d)
}

// catcher is one entry of a state's Catch.
type catcher struct {
	errorEquals []string
	next        string
	resultPath  resultPath
}

func parseRetry(f fields) ([]*retrier, error) {
	entries, err := f.objects("Retry")
	if err != nil {
		return nil, err
	}
	var out []*retrier
	for i, e := range entries {
		if err := e.only("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"); err != nil {
			return nil, err
		}
		r := &retrier{interval: defaultRetryInterval, maxAttempts: defaultMaxAttempts, backoffRate: defaultBackoffRate}
		if r.errorEquals, err = parseErrorEquals(e, i == len(entries)-1); err != nil {
			return nil, err
		}
		if n, ok, err := e.integer("IntervalSeconds", 1, maxRetryField); err != nil {
			return nil, err
		} else if ok {
			r.interval = time.Duration(n) * time.Second
		}
		if n, ok, err := e.integer("MaxAttempts", 0, maxRetryField); err != nil {
			return nil, err
		} else if ok {
			r.maxAttempts = int(n)
		}
		if v, ok := e.m["BackoffRate"]; ok {
			rate, isNumber := number(v)
			if !isNumber || rate < 1 {
				return nil, e.errorf("BackoffRate", "must be a number of at least 1.0")
			}
			r.backoffRate = rate
		}
		if n, ok, err := e.integer("MaxDelaySeconds", 1, maxDelayLimit); err != nil {
			return nil, err
		} else if ok {
			r.maxDelay = time.Duration(n) * time.Second
		}
		switch jitter, err := e.str("JitterStrategy", false); {
		case err != nil:
			return nil, err
		case jitter == "FULL":
			r.fullJitter = true
		case jitter != "" && jitter != "NONE":
			return nil, e.errorf("JitterStrategy", "must be FULL or NONE, not %q", jitter)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseCatch(f fields) ([]*catcher, error) {
	entries, err := f.objects("Catch")
	if err != nil {
		return nil, err
	}
	var out []*catcher
	for i, e := range entries {
		if err := e.only("ErrorEquals", "Next", "ResultPath", "Comment"); err != nil {
			return nil, err
		}
		c := &catcher{}
		if c.errorEquals, err = parseErrorEquals(e, i == len(entries)-1); err != nil {
			return nil, err
		}
		if c.next, err = e.str("Next", true); err != nil {
			return nil, err
		}
		if c.resultPath, err = parseResultPath(e); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// parseErrorEquals checks an ErrorEquals list: not empty, States.ALL alone
// and only in the last entry, and no States.* name the language does not
// define (a typo there would never match).
func parseErrorEquals(e fields, last bool) ([]string, error) {
	names, err := e.strings("ErrorEquals")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, e.errorf("ErrorEquals", "is required and must not be empty")
	}
	if slices.Contains(names, errAll) {
		if len(names) != 1 {
			return nil, e.errorf("ErrorEquals", "States.ALL must appear alone")
		}
		if !last {
			return nil, e.errorf("ErrorEquals", "States.ALL must be in the last entry")
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "States.") && !reservedErrorNames[n] {
			return nil, e.errorf("ErrorEquals", "%q is not an error name a Retry or Catch can match", n)
		}
	}
	return names, nil
}
