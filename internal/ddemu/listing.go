package ddemu

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Page sizes. Datadog documents a default of 10 and a maximum of 100, but the
// recorded org-wide application key listing returned 100 keys unasked, so
// application key listings default to the maximum, as recorded.
const (
	defaultAPIKeyPageSize = 10
	defaultAppKeyPageSize = 100
	maxPageSize           = 100
)

// listQuery is the filter, sort and page of a list call. Page numbers start
// at 0, as in Datadog's API.
type listQuery struct {
	filter     string
	sortField  string
	descending bool
	pageSize   int
	pageNumber int
}

// parseListQuery reads filter, sort, page[size] and page[number]. An unknown
// sort field or a malformed page parameter is an error, answered with 400;
// a page size above the maximum is cut down to it.
func parseListQuery(q url.Values, defaultPageSize int, sortFields []string) (listQuery, error) {
	lq := listQuery{
		filter:    q.Get("filter"),
		sortField: "name",
		pageSize:  defaultPageSize,
	}
	if sort := q.Get("sort"); sort != "" {
		lq.descending = strings.HasPrefix(sort, "-")
		lq.sortField = strings.TrimPrefix(sort, "-")
		if !slices.Contains(sortFields, lq.sortField) {
			return listQuery{}, fmt.Errorf("invalid sort %q: expected one of %s, optionally prefixed with -", sort, strings.Join(sortFields, ", "))
		}
	}
	var err error
	if lq.pageSize, err = pageParam(q, "page[size]", defaultPageSize, 1); err != nil {
		return listQuery{}, err
	}
	lq.pageSize = min(lq.pageSize, maxPageSize)
	if lq.pageNumber, err = pageParam(q, "page[number]", 0, 0); err != nil {
		return listQuery{}, err
	}
	return lq, nil
}

func pageParam(q url.Values, name string, fallback, least int) (int, error) {
	raw := q.Get(name)
	if raw == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < least {
		return 0, fmt.Errorf("invalid %s: expected an integer of at least %d", name, least)
	}
	return n, nil
}

// listed is what a listing needs to know about an item.
type listed interface {
	listName() string
	listField(field string) string // the value sorted on; timestamps sort as their text
	listOrder() uint64             // creation order, the final tie-breaker
}

// apply filters items by name (case-insensitive substring), sorts them and
// cuts out the requested page. It returns the page and the number of items
// that passed the filter.
func apply[T listed](items []T, lq listQuery) (page []T, totalFiltered int) {
	needle := strings.ToLower(lq.filter)
	var kept []T
	for _, it := range items {
		if strings.Contains(strings.ToLower(it.listName()), needle) {
			kept = append(kept, it)
		}
	}
	slices.SortStableFunc(kept, func(a, b T) int {
		c := cmp.Or(
			strings.Compare(a.listField(lq.sortField), b.listField(lq.sortField)),
			cmp.Compare(a.listOrder(), b.listOrder()),
		)
		if lq.descending {
			return -c
		}
		return c
	})
	start := lq.pageNumber * lq.pageSize
	if start >= len(kept) {
		return nil, len(kept)
	}
	end := min(start+lq.pageSize, len(kept))
	return kept[start:end], len(kept)
}

func (k *apiKey) listName() string  { return k.name }
func (k *apiKey) listOrder() uint64 { return k.seq }
func (k *appKey) listName() string  { return k.name }
func (k *appKey) listOrder() uint64 { return k.seq }

func (k *apiKey) listField(field string) string {
	switch field {
	case "created_at":
		return formatTime(k.createdAt)
	case "modified_at":
		return formatTime(k.modifiedAt)
	case "last4":
		return last4(k.value)
	default:
		return k.name
	}
}

func (k *appKey) listField(field string) string {
	switch field {
	case "created_at":
		return formatTime(k.createdAt)
	case "last4":
		return last4(k.value)
	default:
		return k.name
	}
}
