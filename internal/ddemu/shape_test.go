package ddemu

import (
	"fmt"
	"slices"
	"testing"
)

// shapeDiff compares the JSON shape of an emulator answer with a recorded
// one: the same fields, JSON types and nesting, whatever the values. A null
// on either side matches any type, because Datadog sends null for unset
// optional fields (scopes, last_used_at). A list element of the answer must
// have the shape of some recorded element; empty lists tell nothing and match.
// It returns one line per difference, naming the field path.
func shapeDiff(recorded, actual any, path string) []string {
	if recorded == nil || actual == nil {
		return nil
	}
	switch rec := recorded.(type) {
	case map[string]any:
		act, ok := actual.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: recorded an object, emulator sent %s", path, jsonKind(actual))}
		}
		var diffs []string
		for _, k := range sortedKeys(rec) {
			if _, ok := act[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s: missing field", join(path, k)))
				continue
			}
			diffs = append(diffs, shapeDiff(rec[k], act[k], join(path, k))...)
		}
		for _, k := range sortedKeys(act) {
			if _, ok := rec[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s: extra field", join(path, k)))
			}
		}
		return diffs
	case []any:
		act, ok := actual.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: recorded a list, emulator sent %s", path, jsonKind(actual))}
		}
		if len(rec) == 0 {
			return nil
		}
		var diffs []string
		for _, item := range act {
			var best []string
			for i, candidate := range rec {
				d := shapeDiff(candidate, item, path+"[]")
				if i == 0 || len(d) < len(best) {
					best = d
				}
				if len(d) == 0 {
					break
				}
			}
			diffs = append(diffs, best...)
		}
		return diffs
	default:
		if jsonKind(recorded) != jsonKind(actual) {
			return []string{fmt.Sprintf("%s: recorded %s, emulator sent %s", path, jsonKind(recorded), jsonKind(actual))}
		}
		return nil
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestShapeDiff(t *testing.T) {
	tests := []struct {
		name             string
		recorded, actual any
		want             []string
	}{
		{"same shape, other values",
			map[string]any{"a": "x", "n": 1.0, "b": true},
			map[string]any{"a": "y", "n": 2.0, "b": false}, nil},
		{"missing and extra",
			map[string]any{"a": "x"}, map[string]any{"b": "x"},
			[]string{"a: missing field", "b: extra field"}},
		{"type change",
			map[string]any{"a": map[string]any{"n": 1.0}}, map[string]any{"a": map[string]any{"n": "1"}},
			[]string{"a.n: recorded a number, emulator sent a string"}},
		{"null matches anything",
			map[string]any{"scopes": nil, "t": "x"}, map[string]any{"scopes": []any{"a"}, "t": nil}, nil},
		{"list elements match some recorded element",
			[]any{map[string]any{"type": "users"}, map[string]any{"kind": "roles"}},
			[]any{map[string]any{"kind": "roles"}, map[string]any{"type": "users"}}, nil},
		{"list element of unknown shape",
			[]any{map[string]any{"a": "x"}}, []any{map[string]any{"a": "x", "z": "y"}},
			[]string{"[].z: extra field"}},
		{"empty recorded list",
			[]any{}, []any{"anything"}, nil},
		{"object for list",
			map[string]any{"data": []any{}}, map[string]any{"data": map[string]any{}},
			[]string{"data: recorded a list, emulator sent an object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shapeDiff(tt.recorded, tt.actual, ""); !slices.Equal(got, tt.want) {
				t.Errorf("shapeDiff = %q, want %q", got, tt.want)
			}
		})
	}
}
