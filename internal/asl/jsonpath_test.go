package asl

import (
	"strings"
	"testing"
)

const pathDoc = `{"a": {"b": [10, {"c": "deep"}], "key with space": 1}, "list": [{"n": 1}, {"n": 2}, {"m": 3}], "nil": null}`

func TestPathQuery(t *testing.T) {
	tests := []struct {
		path, want string
	}{
		{"$", pathDoc},
		{"$.a.b[0]", `10`},
		{"$.a.b[1].c", `"deep"`},
		{"$['a']['b'][1]['c']", `"deep"`},
		{"$.a['key with space']", `1`},
		{"$.list[*].n", `[1, 2]`},
		{"$.list[*]", `[{"n": 1}, {"n": 2}, {"m": 3}]`},
		{"$.list[*].missing", `[]`},
		{"$.nil", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := parsePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.query(jsonOf(t, pathDoc))
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(got, jsonOf(t, tt.want)) {
				t.Errorf("query = %s, want %s", encodeJSON(got), tt.want)
			}
		})
	}
}

func TestPathQueryMisses(t *testing.T) {
	tests := []struct{ path, problem string }{
		{"$.missing", `no field "missing"`},
		{"$.a.b[5]", "index 5 out of an array of 2"},
		{"$.a.b.c", `field "c" taken from a array`},
		{"$.a[0]", "index 0 taken from a object"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := parsePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.query(jsonOf(t, pathDoc)); err == nil || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("query error = %v, want one saying %q", err, tt.problem)
			}
		})
	}
}

func TestParsePathRejects(t *testing.T) {
	for _, path := range []string{"", "a.b", "$..a", "$.a..b", "$.*", "$.a[?(@.x)]", "$.a[-1]", "$.a[0:2]", "$.a[0,1]", "$.a[", "$.a['b]", "$.a b", "$a", "$.a()"} {
		t.Run(path, func(t *testing.T) {
			if p, err := parsePath(path); err == nil {
				t.Errorf("parsePath(%q) = %+v, want an error", path, p)
			}
		})
	}
}

func TestReferencePathSet(t *testing.T) {
	tests := []struct {
		path, input, want string
	}{
		{"$", `{"a": 1}`, `"R"`},
		{"$.a", `{"a": 1, "b": 2}`, `{"a": "R", "b": 2}`},
		{"$.new.deeper", `{"a": 1}`, `{"a": 1, "new": {"deeper": "R"}}`},
		{"$.list[1]", `{"list": [1, 2, 3]}`, `{"list": [1, "R", 3]}`},
		{"$.list[0].x", `{"list": [{"y": 1}]}`, `{"list": [{"y": 1, "x": "R"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := parseReferencePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			input := jsonOf(t, tt.input)
			got, err := p.set(input, "R")
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(got, jsonOf(t, tt.want)) {
				t.Errorf("set = %s, want %s", encodeJSON(got), tt.want)
			}
			if !jsonEqual(input, jsonOf(t, tt.input)) {
				t.Errorf("set modified its input: now %s", encodeJSON(input))
			}
		})
	}
}

func TestReferencePathSetFails(t *testing.T) {
	tests := []struct{ path, input string }{
		{"$.a.b", `{"a": "text"}`},
		{"$.a.b", `{"a": null}`},
		{"$.list[3]", `{"list": [1]}`},
		{"$.a", `[1, 2]`},
	}
	for _, tt := range tests {
		t.Run(tt.path+" in "+tt.input, func(t *testing.T) {
			p, err := parseReferencePath(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := p.set(jsonOf(t, tt.input), "R"); err == nil {
				t.Errorf("set = %s, want an error", encodeJSON(got))
			}
		})
	}
}
