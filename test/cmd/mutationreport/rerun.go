package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/scanner"
	"go/token"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// mutations are gremlins v0.6.0's token swaps (internal/engine/mappings.go),
// for the mutators it enables by default.
var mutations = map[string]map[token.Token]token.Token{
	"ARITHMETIC_BASE":       {token.ADD: token.SUB, token.MUL: token.QUO, token.QUO: token.MUL, token.REM: token.MUL, token.SUB: token.ADD},
	"CONDITIONALS_BOUNDARY": {token.GEQ: token.GTR, token.GTR: token.GEQ, token.LEQ: token.LSS, token.LSS: token.LEQ},
	"CONDITIONALS_NEGATION": {token.EQL: token.NEQ, token.GEQ: token.LSS, token.GTR: token.LEQ, token.LEQ: token.GTR, token.LSS: token.GEQ, token.NEQ: token.EQL},
	"INCREMENT_DECREMENT":   {token.DEC: token.INC, token.INC: token.DEC},
	"INVERT_NEGATIVES":      {token.SUB: token.ADD},
	"INVERT_LOGICAL":        {token.LAND: token.LOR, token.LOR: token.LAND},
	"INVERT_LOOPCTRL":       {token.BREAK: token.CONTINUE, token.CONTINUE: token.BREAK},
}

// mutate returns src with the token at line:column swapped as the mutator
// does, or an error if no token it mutates is there.
func mutate(src []byte, line, column int, mutator string) ([]byte, error) {
	swaps, ok := mutations[mutator]
	if !ok {
		return nil, fmt.Errorf("unknown mutator %s", mutator)
	}
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var sc scanner.Scanner
	sc.Init(file, src, nil, 0)
	for {
		pos, tok, lit := sc.Scan()
		if tok == token.EOF {
			return nil, fmt.Errorf("no token at %d:%d", line, column)
		}
		p := fset.Position(pos)
		if p.Line != line || p.Column != column {
			continue
		}
		to, ok := swaps[tok]
		if !ok {
			return nil, fmt.Errorf("%d:%d holds %q, which %s does not mutate", line, column, tok.String()+lit, mutator)
		}
		off := p.Offset
		out := append([]byte{}, src[:off]...)
		out = append(out, to.String()...)
		return append(out, src[off+len(tok.String()):]...), nil
	}
}

// rerun runs every mutant gremlins called not covered (and, with lived,
// every one that lived) against the package's tests. Gremlins calls a
// mutant not covered when its position is in no block of the coverage
// profile; Go's coverage blocks leave out the case expressions of a switch,
// so their mutants are called not covered however often the tests evaluate
// them. Running the lived ones again checks, without a whole gremlins run,
// that new tests kill them. Each mutated file is handed to go test through
// -overlay, so the tree is never touched.
func (p *pkgResult) rerun(lived bool, only string) error {
	var todo []int
	for i, m := range p.mutants {
		if only != "" && !strings.Contains(fmt.Sprintf("%s:%d", m.File, m.Line), only) {
			continue
		}
		if m.Status == statusNotCovered || lived && m.Status == statusLived {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "ddrotate-rerun-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	clean, err := timeTests(p.pkg, "", 10*time.Minute)
	if err != nil {
		return fmt.Errorf("%s: the tests fail without any mutant: %w", p.pkg, err)
	}
	limit := max(10*clean, time.Minute)
	log.Printf("%s: running %d mutants again (tests take %s; limit %s each)", p.pkg, len(todo), clean.Round(time.Second), limit)
	for _, i := range todo {
		m := &p.mutants[i]
		src, err := os.ReadFile(m.File)
		if err != nil {
			return err
		}
		mutated, err := mutate(src, m.Line, m.Column, m.Type)
		if err != nil {
			return fmt.Errorf("%s:%d:%d: %w", m.File, m.Line, m.Column, err)
		}
		abs, err := filepath.Abs(m.File)
		if err != nil {
			return err
		}
		file := filepath.Join(dir, fmt.Sprintf("mutant-%d.go", i))
		overlay := filepath.Join(dir, fmt.Sprintf("overlay-%d.json", i))
		data, _ := json.Marshal(map[string]map[string]string{"Replace": {abs: file}})
		if err := os.WriteFile(file, mutated, 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(overlay, data, 0o644); err != nil {
			return err
		}
		_, err = timeTests(p.pkg, overlay, limit)
		var failed *testFailure
		switch {
		case err == nil:
			m.Rerun = statusLived
		case errors.Is(err, context.DeadlineExceeded):
			m.Rerun = statusTimedOut
		case errors.As(err, &failed) && failed.build:
			m.Rerun = statusNotViable
		case errors.As(err, &failed):
			m.Rerun = statusKilled
		default:
			return err
		}
		log.Printf("  %s:%d:%d %s: %s", m.File, m.Line, m.Column, m.Type, m.Rerun)
	}
	return nil
}

// testFailure is a go test run that failed; build is set when the code did
// not compile.
type testFailure struct {
	build  bool
	output string
}

func (f *testFailure) Error() string {
	return "go test failed:\n" + f.output
}

// timeTests runs the package's tests (with an overlay, if given) and
// returns how long they took.
func timeTests(pkg, overlay string, limit time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	args := []string{"test", "-count=1", "-failfast"}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	args = append(args, "./"+pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	switch {
	case ctx.Err() != nil:
		return took, ctx.Err()
	case err != nil:
		text := out.String()
		return took, &testFailure{build: strings.Contains(text, "[build failed]") || strings.Contains(text, "[setup failed]"), output: text}
	}
	return took, nil
}
