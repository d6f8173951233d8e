package asl

import (
	"fmt"
	"strings"
)

// parseIntrinsic parses a whole intrinsic call expression.
func parseIntrinsic(src string) (*intrinsicCall, error) {
	p := &intrinsicParser{src: src}
	call, err := p.call()
	if err != nil {
		return nil, fmt.Errorf("intrinsic function %q: %w", src, err)
	}
	p.skipSpace()
	if p.pos != len(src) {
		return nil, fmt.Errorf("intrinsic function %q: unexpected %q after the call", src, src[p.pos:])
	}
	return call, nil
}

type intrinsicParser struct {
	src string
	pos int
}

func (p *intrinsicParser) skipSpace() {
	for p.pos < len(p.src) && strings.ContainsRune(" \t\n\r", rune(p.src[p.pos])) {
		p.pos++
	}
}

func (p *intrinsicParser) call() (*intrinsicCall, error) {
	start := p.pos
	for p.pos < len(p.src) && (isNameChar(p.src[p.pos]) || p.src[p.pos] == '.') {
		p.pos++
	}
	name := p.src[start:p.pos]
	fn, ok := intrinsics[name]
	if !ok {
		return nil, fmt.Errorf("unknown function %q", name)
	}
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil, fmt.Errorf("%s: expected (", name)
	}
	p.pos++
	call := &intrinsicCall{name: name, fn: fn}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
	} else {
		for {
			arg, err := p.arg()
			if err != nil {
				return nil, fmt.Errorf("%s argument %d: %w", name, len(call.args)+1, err)
			}
			call.args = append(call.args, arg)
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, fmt.Errorf("%s: missing )", name)
			}
			c := p.src[p.pos]
			p.pos++
			if c == ')' {
				break
			}
			if c != ',' {
				return nil, fmt.Errorf("%s: expected , or ) but found %q", name, c)
			}
		}
	}
	if n := len(call.args); n < fn.minArgs || (fn.maxArgs >= 0 && n > fn.maxArgs) {
		return nil, fmt.Errorf("%s takes %s, not %d", name, arity(fn), n)
	}
	return call, nil
}

func arity(fn *intrinsic) string {
	switch {
	case fn.maxArgs < 0:
		return fmt.Sprintf("at least %d arguments", fn.minArgs)
	case fn.minArgs == fn.maxArgs:
		return fmt.Sprintf("%d arguments", fn.minArgs)
	}
	return fmt.Sprintf("%d to %d arguments", fn.minArgs, fn.maxArgs)
}

func isNameChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *intrinsicParser) arg() (intrinsicArg, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return intrinsicArg{}, fmt.Errorf("missing argument")
	}
	rest := p.src[p.pos:]
	switch {
	case rest[0] == '\'':
		return p.stringLiteral()
	case rest[0] == '$':
		return p.pathArg()
	case strings.HasPrefix(rest, "States."):
		call, err := p.call()
		return intrinsicArg{call: call}, err
	}
	start := p.pos
	for p.pos < len(p.src) && !strings.ContainsRune(",) \t\n\r", rune(p.src[p.pos])) {
		p.pos++
	}
	lit, err := decodeJSON([]byte(p.src[start:p.pos]))
	if err != nil || jsonType(lit) == "object" || jsonType(lit) == "array" || jsonType(lit) == "string" {
		return intrinsicArg{}, fmt.Errorf("%q is not a string, number, boolean, null, path or function call", p.src[start:p.pos])
	}
	return intrinsicArg{literal: lit}, nil
}

// stringLiteral reads a single-quoted string; a backslash escapes the next
// character ('{}\ must be escaped).
func (p *intrinsicParser) stringLiteral() (intrinsicArg, error) {
	p.pos++ // opening quote
	start := p.pos
	var value strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '\\':
			if p.pos+1 >= len(p.src) {
				return intrinsicArg{}, fmt.Errorf("string ends in a lone backslash")
			}
			value.WriteByte(p.src[p.pos+1])
			p.pos += 2
			continue
		case '\'':
			raw := p.src[start:p.pos]
			p.pos++
			return intrinsicArg{literal: value.String(), raw: raw}, nil
		}
		value.WriteByte(c)
		p.pos++
	}
	return intrinsicArg{}, fmt.Errorf("unterminated string")
}

// pathArg reads a path up to the , or ) that ends it, skipping over
// bracketed selectors such as ['a,b'].
func (p *intrinsicParser) pathArg() (intrinsicArg, error) {
	start := p.pos
	depth, quoted := 0, false
	for ; p.pos < len(p.src); p.pos++ {
		c := p.src[p.pos]
		switch {
		case quoted:
			quoted = c != '\''
			continue
		case c == '\'':
			quoted = true
		case c == '[':
			depth++
		case c == ']':
			depth--
		case depth == 0 && strings.ContainsRune(",) \t\n\r", rune(c)):
			path, err := parsePath(p.src[start:p.pos])
			return intrinsicArg{path: path}, err
		}
	}
	path, err := parsePath(p.src[start:])
	return intrinsicArg{path: path}, err
}
