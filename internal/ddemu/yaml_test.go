package ddemu

// A minimal YAML reader for go-vcr cassettes. The module graph has no YAML
// library that go.mod requires directly, and the cassettes use a small subset
// of YAML: block mappings and sequences, plain, single-quoted (possibly folded
// over several lines) and double-quoted scalars, literal block scalars (|, |-)
// and the empty flow collections {} and []. Every scalar is returned as a
// string; anything outside the subset is an error rather than a guess.

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

type yamlReader struct {
	lines []string
	pos   int
}

// parseYAML returns the document as nested map[string]any, []any and string.
func parseYAML(data string) (any, error) {
	r := &yamlReader{lines: strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n")}
	r.skipBlank()
	if r.pos >= len(r.lines) {
		return nil, nil
	}
	v, err := r.block(indentOf(r.lines[r.pos]))
	if err != nil {
		return nil, err
	}
	if r.skipBlank(); r.pos < len(r.lines) {
		return nil, r.errorf("unexpected content")
	}
	return v, nil
}

func indentOf(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

func isBlank(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "#")
}

func (r *yamlReader) skipBlank() {
	for r.pos < len(r.lines) && isBlank(r.lines[r.pos]) {
		r.pos++
	}
}

func (r *yamlReader) errorf(format string, args ...any) error {
	return fmt.Errorf("yaml line %d: %s", r.pos+1, fmt.Sprintf(format, args...))
}

// peek returns the indent and text of the next non-blank line.
func (r *yamlReader) peek() (indent int, text string, ok bool) {
	r.skipBlank()
	if r.pos >= len(r.lines) {
		return 0, "", false
	}
	line := r.lines[r.pos]
	return indentOf(line), strings.TrimSpace(line), true
}

func isSeqItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// block reads the mapping or sequence whose lines start at indent.
func (r *yamlReader) block(indent int) (any, error) {
	_, text, _ := r.peek()
	if isSeqItem(text) {
		return r.sequence(indent)
	}
	return r.mapping(indent)
}

func (r *yamlReader) mapping(indent int) (map[string]any, error) {
	m := map[string]any{}
	for {
		ind, text, ok := r.peek()
		if !ok || ind < indent || (ind == indent && isSeqItem(text)) {
			return m, nil
		}
		if ind > indent {
			return nil, r.errorf("unexpected indentation")
		}
		key, rest, found := splitKey(text)
		if !found {
			return nil, r.errorf("expected a mapping key")
		}
		r.pos++
		v, err := r.value(rest, indent)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
}

// splitKey splits "key: rest" or "key:".
func splitKey(text string) (key, rest string, ok bool) {
	if strings.HasPrefix(text, "'") || strings.HasPrefix(text, `"`) {
		return "", "", false
	}
	if k, v, found := strings.Cut(text, ": "); found {
		return k, strings.TrimSpace(v), true
	}
	if strings.HasSuffix(text, ":") {
		return strings.TrimSuffix(text, ":"), "", true
	}
	return "", "", false
}

func (r *yamlReader) sequence(indent int) ([]any, error) {
	list := []any{}
	for {
		ind, text, ok := r.peek()
		if !ok || ind != indent || !isSeqItem(text) {
			return list, nil
		}
		item := strings.TrimSpace(strings.TrimPrefix(text, "-"))
		if _, _, isMap := splitKey(item); isMap {
			// "- key: value" opens a mapping indented past the dash:
			// re-read the line as that mapping's first line.
			r.lines[r.pos] = strings.Repeat(" ", indent+2) + item
			v, err := r.mapping(indent + 2)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			continue
		}
		r.pos++
		v, err := r.value(item, indent)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
}

// value reads the value that follows "key:" or "-" on a line indented by
// parent; rest is what followed on that line.
func (r *yamlReader) value(rest string, parent int) (any, error) {
	switch {
	case rest == "":
		ind, text, ok := r.peek()
		switch {
		case ok && ind > parent:
			return r.block(ind)
		case ok && ind == parent && isSeqItem(text):
			return r.sequence(ind) // a sequence may sit at its key's indent
		default:
			return nil, nil
		}
	case rest == "|" || rest == "|-":
		return r.literal(parent, rest == "|-"), nil
	case rest == "{}":
		return map[string]any{}, nil
	case rest == "[]":
		return []any{}, nil
	case strings.HasPrefix(rest, "'"):
		return r.singleQuoted(rest, parent)
	case strings.HasPrefix(rest, `"`):
		s, err := strconv.Unquote(rest)
		if err != nil {
			return nil, r.errorf("unsupported double-quoted scalar")
		}
		return s, nil
	case strings.ContainsAny(rest[:1], "[{&*!|>%@`"):
		return nil, r.errorf("unsupported YAML construct %q", rest[:1])
	default:
		return r.plain(rest, parent)
	}
}

// literal reads a literal block scalar: the lines indented past parent, with
// their common indentation removed. Clip keeps one final newline, strip none.
func (r *yamlReader) literal(parent int, strip bool) string {
	var lines []string
	blockIndent := -1
	for r.pos < len(r.lines) {
		line := r.lines[r.pos]
		if strings.TrimSpace(line) == "" {
			lines = append(lines, "")
			r.pos++
			continue
		}
		ind := indentOf(line)
		if ind <= parent {
			break
		}
		if blockIndent < 0 {
			blockIndent = ind
		}
		lines = append(lines, line[min(blockIndent, ind):])
		r.pos++
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	text := strings.Join(lines, "\n")
	if strip || text == "" {
		return text
	}
	return text + "\n"
}

// singleQuoted reads a single-quoted scalar that may continue on lines
// indented past parent. Line breaks fold to spaces (an empty line to a
// newline) and ” stands for a quote.
func (r *yamlReader) singleQuoted(first string, parent int) (string, error) {
	var b strings.Builder
	text := first[1:]
	pendingBreaks := 0
	for {
		closed, n := scanSingleQuoted(text)
		if pendingBreaks > 0 {
			if pendingBreaks == 1 {
				b.WriteByte(' ')
			} else {
				b.WriteString(strings.Repeat("\n", pendingBreaks-1))
			}
			pendingBreaks = 0
		}
		if closed {
			b.WriteString(strings.ReplaceAll(text[:n], "''", "'"))
			if strings.TrimSpace(text[n+1:]) != "" {
				return "", r.errorf("content after a quoted scalar")
			}
			return b.String(), nil
		}
		b.WriteString(strings.ReplaceAll(strings.TrimRight(text, " "), "''", "'"))
		pendingBreaks = 1
		for {
			if r.pos >= len(r.lines) {
				return "", r.errorf("unterminated quoted scalar")
			}
			line := r.lines[r.pos]
			r.pos++
			if strings.TrimSpace(line) == "" {
				pendingBreaks++
				continue
			}
			if indentOf(line) <= parent {
				return "", r.errorf("quoted scalar continues at a lower indentation")
			}
			text = strings.TrimLeft(line, " ")
			break
		}
	}
}

// scanSingleQuoted finds the closing quote of single-quoted text, skipping ”.
func scanSingleQuoted(text string) (closed bool, at int) {
	for i := 0; i < len(text); i++ {
		if text[i] != '\'' {
			continue
		}
		if i+1 < len(text) && text[i+1] == '\'' {
			i++
			continue
		}
		return true, i
	}
	return false, 0
}

// plain reads a plain scalar, folding continuation lines indented past
// parent. A continuation that looks like a key is a misplaced mapping.
func (r *yamlReader) plain(first string, parent int) (string, error) {
	parts := []string{first}
	for r.pos < len(r.lines) {
		line := r.lines[r.pos]
		if isBlank(line) || indentOf(line) <= parent {
			break
		}
		if _, _, isKey := splitKey(strings.TrimSpace(line)); isKey {
			return "", r.errorf("unexpected mapping key in a scalar")
		}
		parts = append(parts, strings.TrimSpace(line))
		r.pos++
	}
	return strings.Join(parts, " "), nil
}

func TestParseYAML(t *testing.T) {
	doc := `interactions:
- request:
    body: |
      {"a":1}
      second
    form: {}
    headers:
      Accept:
      - application/json
      - '*/*'
    id: 0
    url: https://example.test/x?y=1
  response:
    body: '{"msg":"it''s
      folded here",

      "n":2}'
    code: 201
    empty: ''
    strip: |-
      no newline
- request:
    method: GET
version: 2
`
	got, err := parseYAML(doc)
	if err != nil {
		t.Fatal(err)
	}
	root := got.(map[string]any)
	if root["version"] != "2" {
		t.Errorf("version = %v", root["version"])
	}
	items := root["interactions"].([]any)
	if len(items) != 2 {
		t.Fatalf("%d interactions, want 2", len(items))
	}
	first := items[0].(map[string]any)
	req := first["request"].(map[string]any)
	resp := first["response"].(map[string]any)
	checks := []struct{ name, got, want string }{
		{"literal body", req["body"].(string), "{\"a\":1}\nsecond\n"},
		{"url", req["url"].(string), "https://example.test/x?y=1"},
		{"folded quoted body", resp["body"].(string), "{\"msg\":\"it's folded here\",\n\"n\":2}"},
		{"empty quoted", resp["empty"].(string), ""},
		{"stripped literal", resp["strip"].(string), "no newline"},
		{"code", resp["code"].(string), "201"},
		{"second item", items[1].(map[string]any)["request"].(map[string]any)["method"].(string), "GET"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	accept := req["headers"].(map[string]any)["Accept"].([]any)
	if len(accept) != 2 || accept[1] != "*/*" {
		t.Errorf("Accept = %q", accept)
	}
	if form, ok := req["form"].(map[string]any); !ok || len(form) != 0 {
		t.Errorf("form = %#v, want an empty map", req["form"])
	}
}

func TestParseYAMLRejectsWhatItDoesNotKnow(t *testing.T) {
	for _, doc := range []string{
		"a: [1, 2]",
		"a: 'unterminated",
		"a: 1\n   b: 2",
		"a: &anchor x",
		"just text",
	} {
		if _, err := parseYAML(doc); err == nil {
			t.Errorf("parseYAML(%q) succeeded", doc)
		}
	}
}
