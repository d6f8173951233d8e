package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mutate makes gremlins' token swaps at the position gremlins reports, and
// refuses a position that holds nothing its mutator swaps.
func TestMutateSwapsTheTokenAtThePosition(t *testing.T) {
	src := []byte("package p\n\nfunc f(a, b int) bool {\n\treturn a+b >= 2 && a != -b\n}\n")
	for _, c := range []struct {
		line, col int
		mutator   string
		want      string
	}{
		{4, 10, "ARITHMETIC_BASE", "\treturn a-b >= 2 && a != -b"},
		{4, 13, "CONDITIONALS_BOUNDARY", "\treturn a+b > 2 && a != -b"},
		{4, 13, "CONDITIONALS_NEGATION", "\treturn a+b < 2 && a != -b"},
		{4, 18, "INVERT_LOGICAL", "\treturn a+b >= 2 || a != -b"},
		{4, 23, "CONDITIONALS_NEGATION", "\treturn a+b >= 2 && a == -b"},
		{4, 26, "INVERT_NEGATIVES", "\treturn a+b >= 2 && a != +b"},
	} {
		got, err := mutate(src, c.line, c.col, c.mutator)
		if err != nil {
			t.Errorf("%d:%d %s: %v", c.line, c.col, c.mutator, err)
			continue
		}
		if line := strings.Split(string(got), "\n")[c.line-1]; line != c.want {
			t.Errorf("%d:%d %s: %q, want %q", c.line, c.col, c.mutator, line, c.want)
		}
	}
	for _, c := range []struct {
		line, col int
		mutator   string
	}{{4, 10, "CONDITIONALS_NEGATION"}, {4, 9, "ARITHMETIC_BASE"}, {9, 1, "ARITHMETIC_BASE"}, {4, 10, "NO_SUCH_MUTATOR"}} {
		if _, err := mutate(src, c.line, c.col, c.mutator); err == nil {
			t.Errorf("%d:%d %s: no error", c.line, c.col, c.mutator)
		}
	}
}

// A report from gremlins' JSON: its counts, the final counts once a
// not-covered mutant is run, the equivalents matched by their line's text
// (not its number), the unjustified and the stale entries.
func TestReportFromGremlinsOutput(t *testing.T) {
	dir := t.TempDir()
	pkg := filepath.Join(dir, "p")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package p\n\nfunc f(a int) bool {\n\tif a > 0 {\n\t\treturn a == 1\n\t}\n\treturn a < -1\n}\n"
	if err := os.WriteFile(filepath.Join(pkg, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	eqPath := filepath.Join(dir, "eq.txt")
	eq := "# comment\n" + filepath.ToSlash(pkg) + "/p.go CONDITIONALS_BOUNDARY 7 | if a > 0 { | a is never 0 here\n" +
		"gone.go CONDITIONALS_NEGATION 3 | x == y | stale\n"
	if err := os.WriteFile(eqPath, []byte(eq), 0o644); err != nil {
		t.Fatal(err)
	}
	known, err := readEquivalents(eqPath)
	if err != nil {
		t.Fatal(err)
	}
	res := &pkgResult{pkg: filepath.ToSlash(pkg)}
	if err := res.parse([]byte(`{"files":[{"file_name":"p.go","mutations":[
		{"type":"CONDITIONALS_BOUNDARY","status":"LIVED","line":4,"column":7},
		{"type":"CONDITIONALS_NEGATION","status":"KILLED","line":4,"column":7},
		{"type":"CONDITIONALS_NEGATION","status":"NOT COVERED","line":5,"column":12},
		{"type":"CONDITIONALS_NEGATION","status":"NOT COVERED","line":7,"column":11},
		{"type":"INVERT_NEGATIVES","status":"TIMED OUT","line":7,"column":13}]}],"elapsed_time":12.5}`)); err != nil {
		t.Fatal(err)
	}
	res.mutants[2].Rerun = statusKilled // as rerunNotCovered would find
	res.mutants[3].Rerun = statusLived
	if err := res.classify(known); err != nil {
		t.Fatal(err)
	}
	if got := res.raw(statusNotCovered); got != 2 {
		t.Errorf("gremlins' not covered: %d, want 2", got)
	}
	if k, l, n := res.count(statusKilled), res.count(statusLived), res.count(statusNotCovered); k != 2 || l != 1 || n != 1 {
		t.Errorf("final killed, lived, not covered: %d, %d, %d; want 2, 1, 1", k, l, n)
	}
	if got := res.rawEfficacy(); got != 50 {
		t.Errorf("gremlins' efficacy %.1f, want 50", got)
	}
	if e, c := res.efficacy(false), res.coverage(false); e < 66.6 || e > 66.7 || c != 75 {
		t.Errorf("final efficacy %.2f, coverage %.2f; want 66.67 and 75", e, c)
	}
	if e, c := res.efficacy(true), res.coverage(true); e != 100 || c < 66.6 || c > 66.7 {
		t.Errorf("without equivalents: efficacy %.2f, coverage %.2f; want 100 and 66.67", e, c)
	}
	un := res.unjustified()
	if len(un) != 1 || un[0].Line != 7 || un[0].Source != "return a < -1" {
		t.Errorf("unjustified: %+v", un)
	}
	r := report{version: "v0", equivalentsFile: eqPath, packages: []*pkgResult{res}, stale: known.unused()}
	md := r.markdown()
	for _, want := range []string{"a is never 0 here", "1 mutant(s) lived or were not covered", "return a < -1 | <why no test can tell>", "gone.go CONDITIONALS_NEGATION 3 \\| x == y"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	if r.unjustified() != 1 {
		t.Errorf("unjustified() = %d, want 1", r.unjustified())
	}
}

func TestEquivalentsFileMistakes(t *testing.T) {
	for name, text := range map[string]string{
		"no reason":   "a.go CONDITIONALS_NEGATION 3 | x == y | \n",
		"TODO reason": "a.go CONDITIONALS_NEGATION 3 | x == y | TODO\n",
		"no source":   "a.go CONDITIONALS_NEGATION 3 | reason\n",
		"twice":       "a.go X 3 | x | r\na.go X 3 | x | r\n",
	} {
		path := filepath.Join(t.TempDir(), "eq.txt")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readEquivalents(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if e, err := readEquivalents(filepath.Join(t.TempDir(), "none.txt")); err != nil || len(e.reasons) != 0 {
		t.Errorf("a missing file: %v, %v; want no equivalents", e, err)
	}
}
