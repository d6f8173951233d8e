package asl

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"unicode/utf8"
)

// intrinsicCall is a parsed intrinsic function call such as
// States.Format('{} of {}', $.a, $$.Execution.Name).
type intrinsicCall struct {
	name string
	fn   *intrinsic
	args []intrinsicArg
}

// intrinsicArg is one argument: a literal, a path or a nested call.
type intrinsicArg struct {
	literal any
	// raw is a string literal's text with its escapes kept, which
	// States.Format needs to tell a {} placeholder from an escaped \{\}.
	raw  string
	path *jsonPath
	call *intrinsicCall
}

// intrinsic describes one function: how many arguments it takes (maxArgs
// -1 for any number) and how to evaluate it on the evaluated arguments.
type intrinsic struct {
	minArgs, maxArgs int
	eval             func(env *evalEnv, call *intrinsicCall, args []any) (any, error)
}

// intrinsics are the functions the executor implements: those the project's
// definitions use and the rest of the JSONPath-mode core. A call to any
// other name is rejected when the definition loads.
var intrinsics = map[string]*intrinsic{
	"States.Format":         {1, -1, evalFormat},
	"States.StringToJson":   {1, 1, evalStringToJSON},
	"States.JsonToString":   {1, 1, evalJSONToString},
	"States.Array":          {0, -1, evalArray},
	"States.ArrayPartition": {2, 2, evalArrayPartition},
	"States.ArrayContains":  {2, 2, evalArrayContains},
	"States.ArrayRange":     {3, 3, evalArrayRange},
	"States.ArrayGetItem":   {2, 2, evalArrayGetItem},
	"States.ArrayLength":    {1, 1, evalArrayLength},
	"States.ArrayUnique":    {1, 1, evalArrayUnique},
	"States.Base64Encode":   {1, 1, evalBase64Encode},
	"States.Base64Decode":   {1, 1, evalBase64Decode},
	"States.Hash":           {2, 2, evalHash},
	"States.JsonMerge":      {3, 3, evalJSONMerge},
	"States.MathRandom":     {2, 3, evalMathRandom},
	"States.MathAdd":        {2, 2, evalMathAdd},
	"States.StringSplit":    {2, 2, evalStringSplit},
	"States.UUID":           {0, 0, evalUUID},
}

// maxArrayRange is the most items States.ArrayRange may produce, as in AWS.
const maxArrayRange = 1000

// eval evaluates the arguments, then the function.
func (c *intrinsicCall) eval(env *evalEnv) (any, error) {
	args := make([]any, len(c.args))
	for i, a := range c.args {
		var err error
		switch {
		case a.path != nil:
			args[i], err = env.query(a.path)
		case a.call != nil:
			args[i], err = a.call.eval(env)
		default:
			args[i] = a.literal
		}
		if err != nil {
			return nil, err
		}
	}
	v, err := c.fn.eval(env, c, args)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	return v, nil
}

func argError(i int, want string, got any) error {
	return fmt.Errorf("argument %d must be %s, not %s", i+1, want, jsonType(got))
}

func stringArg(args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", argError(i, "a string", args[i])
	}
	return s, nil
}

func arrayArg(args []any, i int) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, argError(i, "an array", args[i])
	}
	return a, nil
}

func intArg(args []any, i int) (int64, error) {
	n, ok := integer(args[i])
	if !ok {
		return 0, argError(i, "an integer", args[i])
	}
	return n, nil
}

func evalFormat(_ *evalEnv, call *intrinsicCall, args []any) (any, error) {
	template, err := stringArg(args, 0)
	if err != nil {
		return nil, err
	}
	if call.args[0].path == nil && call.args[0].call == nil {
		template = call.args[0].raw // keep the escapes: \{ is not a placeholder
	}
	values := args[1:]
	var out strings.Builder
	used := 0
	for i := 0; i < len(template); i++ {
		switch {
		case template[i] == '\\' && i+1 < len(template):
			i++
			out.WriteByte(template[i])
		case template[i] == '{' && i+1 < len(template) && template[i+1] == '}':
			if used == len(values) {
				return nil, fmt.Errorf("the template has more {} than the %d values given", len(values))
			}
			out.WriteString(formatValue(values[used]))
			used++
			i++
		default:
			out.WriteByte(template[i])
		}
	}
	if used != len(values) {
		return nil, fmt.Errorf("the template has %d {} but %d values are given", used, len(values))
	}
	return out.String(), nil
}

func formatValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(encodeJSON(v))
}

func evalStringToJSON(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	s, err := stringArg(args, 0)
	if err != nil {
		return nil, err
	}
	v, err := decodeJSON([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("argument 1 is not JSON: %w", err)
	}
	return v, nil
}

func evalJSONToString(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	return string(encodeJSON(args[0])), nil
}

func evalArray(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	return append([]any{}, args...), nil
}

func evalArrayPartition(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	a, err := arrayArg(args, 0)
	if err != nil {
		return nil, err
	}
	size, err := intArg(args, 1)
	if err != nil || size <= 0 {
		return nil, argError(1, "a positive integer", args[1])
	}
	chunks := []any{}
	for len(a) > 0 {
		n := min(int(size), len(a))
		chunks = append(chunks, append([]any{}, a[:n]...))
		a = a[n:]
	}
	return chunks, nil
}

func evalArrayContains(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	a, err := arrayArg(args, 0)
	if err != nil {
		return nil, err
	}
	for _, v := range a {
		if jsonEqual(v, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

func evalArrayRange(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	var bounds [3]int64
	for i := range bounds {
		n, err := intArg(args, i)
		if err != nil {
			return nil, err
		}
		bounds[i] = n
	}
	start, end, step := bounds[0], bounds[1], bounds[2]
	if step == 0 {
		return nil, fmt.Errorf("the step must not be 0")
	}
	out := []any{}
	for i := start; (step > 0 && i <= end) || (step < 0 && i >= end); i += step {
		if len(out) == maxArrayRange {
			return nil, fmt.Errorf("the range has more than %d items", maxArrayRange)
		}
		out = append(out, intValue(i))
	}
	return out, nil
}

func evalArrayGetItem(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	a, err := arrayArg(args, 0)
	if err != nil {
		return nil, err
	}
	i, err := intArg(args, 1)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, fmt.Errorf("index %d is out of an array of %d", i, len(a))
	}
	return a[i], nil
}

func evalArrayLength(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	a, err := arrayArg(args, 0)
	if err != nil {
		return nil, err
	}
	return intValue(int64(len(a))), nil
}

func evalArrayUnique(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	a, err := arrayArg(args, 0)
	if err != nil {
		return nil, err
	}
	out := []any{}
next:
	for _, v := range a {
		for _, seen := range out {
			if jsonEqual(v, seen) {
				continue next
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func evalBase64Encode(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	s, err := stringArg(args, 0)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func evalBase64Decode(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	s, err := stringArg(args, 0)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("argument 1 is not base64: %w", err)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("argument 1 does not decode to UTF-8 text")
	}
	return string(b), nil
}

var hashes = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

func evalHash(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	data, err := stringArg(args, 0)
	if err != nil {
		return nil, err
	}
	algorithm, err := stringArg(args, 1)
	if err != nil {
		return nil, err
	}
	newHash, ok := hashes[algorithm]
	if !ok {
		return nil, fmt.Errorf("unknown algorithm %q (MD5, SHA-1, SHA-256, SHA-384 or SHA-512)", algorithm)
	}
	h := newHash()
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func evalJSONMerge(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	a, ok := args[0].(map[string]any)
	if !ok {
		return nil, argError(0, "an object", args[0])
	}
	b, ok := args[1].(map[string]any)
	if !ok {
		return nil, argError(1, "an object", args[1])
	}
	if deep, ok := args[2].(bool); !ok || deep {
		return nil, fmt.Errorf("argument 3 must be false: only a shallow merge is supported")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out, nil
}

// evalMathRandom returns an integer in [start, end). A seed makes the
// result repeatable, as in AWS; without one the engine's random source is
// used.
func evalMathRandom(env *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	start, err := intArg(args, 0)
	if err != nil {
		return nil, err
	}
	end, err := intArg(args, 1)
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, fmt.Errorf("the end %d must be greater than the start %d", end, start)
	}
	var seed *int64
	if len(args) == 3 {
		s, err := intArg(args, 2)
		if err != nil {
			return nil, err
		}
		seed = &s
	}
	return intValue(start + env.randomBelow(end-start, seed)), nil
}

func evalMathAdd(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	a, err := intArg(args, 0)
	if err != nil {
		return nil, err
	}
	b, err := intArg(args, 1)
	if err != nil {
		return nil, err
	}
	return intValue(a + b), nil
}

func evalStringSplit(_ *evalEnv, _ *intrinsicCall, args []any) (any, error) {
	s, err := stringArg(args, 0)
	if err != nil {
		return nil, err
	}
	delimiters, err := stringArg(args, 1)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delimiters, r) }) {
		out = append(out, part)
	}
	return out, nil
}

func evalUUID(_ *evalEnv, _ *intrinsicCall, _ []any) (any, error) {
	return newUUID(), nil
}

// newUUID returns a random (version 4) UUID. It draws on crypto/rand rather
// than the engine's seeded source so that names stay unique across engines
// that share one emulated AWS account.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
