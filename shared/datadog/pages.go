package datadog

import (
	"strings"
	"time"

	"github.com/DataDog/datadog-api-client-go/v2/api/datadog"
)

const (
	// pageSize is the largest page Datadog serves for key lists.
	pageSize = 100
	// maxPages stops a list that never ends (a server that ignores the page
	// number) long after any real org's keys are listed.
	maxPages = 1000
)

// lastPage reports whether a list is complete after a page that returned got
// items, with seen items requested so far and total items announced by the
// server (-1 if it did not say).
func lastPage(got int, seen, total int64) bool {
	if got < pageSize {
		return true
	}
	return total >= 0 && seen >= total
}

// nameContains reports whether name contains filter, ignoring case, as
// Datadog's filter does.
func nameContains(name, filter string) bool {
	return strings.Contains(strings.ToLower(name), strings.ToLower(filter))
}

// parseTime reads the timestamps of listed keys, which the library leaves as
// strings. A timestamp that does not parse is left zero: it is informational,
// and a list should not fail for it.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// listAll fetches every page of a key list, fetch returning a page's keys
// and the total the server announced (-1 if it did not say), and keeps the
// keys whose name, per nameOf, contains nameFilter: Datadog's own filter
// also matches other attributes.
func listAll[K any](op, nameFilter string, fetch func(pageNumber int64) ([]K, int64, error), nameOf func(K) string) ([]K, error) {
	var keys []K
	for n := int64(0); ; n++ {
		if n == maxPages {
			return nil, responseFailure(op, 0, "too many pages")
		}
		got, total, err := fetch(n)
		if err != nil {
			return nil, err
		}
		for _, k := range got {
			if nameContains(nameOf(k), nameFilter) {
				keys = append(keys, k)
			}
		}
		if lastPage(len(got), (n+1)*pageSize, total) {
			return keys, nil
		}
	}
}

// nullableTime reads an optional, nullable timestamp; zero when absent.
func nullableTime(t datadog.NullableTime) time.Time {
	if p := t.Get(); p != nil {
		return *p
	}
	return time.Time{}
}
