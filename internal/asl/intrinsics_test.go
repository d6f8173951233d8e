package asl

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"regexp"
	"strings"
	"testing"
)

// intrinsicInput is what the intrinsic tests' paths read.
const intrinsicInput = `{"name": "pen", "n": 3, "list": [1, 2, 2, "x"], "objs": [{"k": "a"}, {"k": "b"}], "json": "{\"a\":[1,2]}",
	"odd, key": "comma", "obj": {"a": 1, "b": 2}, "other": {"b": 3, "c": 4}, "b64": "aGVsbG8="}`

func evalIntrinsic(t *testing.T, text string) (any, error) {
	t.Helper()
	call, err := parseIntrinsic(text)
	if err != nil {
		t.Fatalf("parseIntrinsic(%q): %v", text, err)
	}
	env := &evalEnv{
		input:   jsonOf(t, intrinsicInput),
		context: jsonOf(t, `{"Execution": {"Name": "exec-1"}}`),
		random:  func(n int64) int64 { return n - 1 },
	}
	return call.eval(env)
}

func TestIntrinsicFunctions(t *testing.T) {
	tests := []struct{ call, want string }{
		{`States.Format('{} x {}', $.name, $.n)`, `"pen x 3"`},
		{`States.Format('escaped \{\} and \' {}', $$.Execution.Name)`, `"escaped {} and ' exec-1"`},
		{`States.Format('{}', $.obj)`, `"{\"a\":1,\"b\":2}"`},
		{`States.StringToJson($.json)`, `{"a": [1, 2]}`},
		{`States.JsonToString($.obj)`, `"{\"a\":1,\"b\":2}"`},
		{`States.Array($.name, 1, true, null)`, `["pen", 1, true, null]`},
		{`States.Array()`, `[]`},
		{`States.ArrayPartition($.list, 3)`, `[[1, 2, 2], ["x"]]`},
		{`States.ArrayContains($.list, 2)`, `true`},
		{`States.ArrayContains($.objs[*].k, 'b')`, `true`},
		{`States.ArrayContains($.objs[*].k, 'z')`, `false`},
		{`States.ArrayContains($.objs[*].missing, 'a')`, `false`},
		{`States.ArrayRange(1, 9, 3)`, `[1, 4, 7]`},
		{`States.ArrayRange(5, 1, -2)`, `[5, 3, 1]`},
		{`States.ArrayGetItem($.list, 3)`, `"x"`},
		{`States.ArrayLength($.list)`, `4`},
		{`States.ArrayUnique($.list)`, `[1, 2, "x"]`},
		{`States.Base64Encode('hello')`, `"aGVsbG8="`},
		{`States.Base64Decode($.b64)`, `"hello"`},
		// Digests are computed here rather than written out: a committed hex
		// run of key length looks like a leaked Datadog key to a scanner.
		{`States.Hash('abc', 'SHA-256')`, quotedDigest(sha256.New(), "abc")},
		{`States.Hash('abc', 'MD5')`, quotedDigest(md5.New(), "abc")},
		{`States.JsonMerge($.obj, $.other, false)`, `{"a": 1, "b": 3, "c": 4}`},
		{`States.MathAdd($.n, -5)`, `-2`},
		{`States.MathRandom(10, 20)`, `19`},
		{`States.StringSplit('a,b;;c', ',;')`, `["a", "b", "c"]`},
		{`States.ArrayLength(States.Array($.name, States.MathAdd(1, 2)))`, `2`},
		{`States.Format('{}|{}', $['odd, key'], $.list[3])`, `"comma|x"`},
	}
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			got, err := evalIntrinsic(t, tt.call)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(got, jsonOf(t, tt.want)) {
				t.Errorf("= %s, want %s", encodeJSON(got), tt.want)
			}
		})
	}
}

func TestMathRandomWithASeedRepeats(t *testing.T) {
	first, err := evalIntrinsic(t, `States.MathRandom(0, 1000000, 42)`)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := evalIntrinsic(t, `States.MathRandom(0, 1000000, 42)`)
	other, _ := evalIntrinsic(t, `States.MathRandom(0, 1000000, 43)`)
	if !jsonEqual(first, second) || jsonEqual(first, other) {
		t.Errorf("seed 42 gave %v and %v, seed 43 gave %v", first, second, other)
	}
}

func TestUUIDIsVersion4(t *testing.T) {
	got, err := evalIntrinsic(t, `States.UUID()`)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := got.(string); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(s) {
		t.Errorf("States.UUID() = %v", got)
	}
}

func TestIntrinsicRuntimeErrors(t *testing.T) {
	tests := []struct{ call, problem string }{
		{`States.ArrayLength($.name)`, "must be an array"},
		{`States.Format('{} {}', $.name)`, "more {}"},
		{`States.Format('{}', $.name, $.n)`, "1 {} but 2 values"},
		{`States.StringToJson('{bad')`, "not JSON"},
		{`States.ArrayGetItem($.list, 9)`, "out of"},
		{`States.ArrayRange(0, 5000, 1)`, "more than 1000"},
		{`States.Hash('a', 'SHA-3')`, "unknown algorithm"},
		{`States.MathAdd($.n, 1.5)`, "integer"},
		{`States.JsonMerge($.obj, $.other, true)`, "shallow"},
		{`States.Base64Decode('***')`, "not base64"},
		{`States.MathRandom(5, 5)`, "greater than"},
		{`States.ArrayLength($.missing)`, `no field "missing"`},
	}
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			got, err := evalIntrinsic(t, tt.call)
			if err == nil || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("= %v, %v; want an error saying %q", got, err, tt.problem)
			}
		})
	}
}

// quotedDigest is the JSON string of the digest of s, in lowercase hex.
func quotedDigest(h hash.Hash, s string) string {
	h.Write([]byte(s))
	return `"` + hex.EncodeToString(h.Sum(nil)) + `"`
}
