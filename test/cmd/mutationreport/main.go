// Command mutationreport is `make mutate`: it runs gremlins (pinned in
// go.mod's tool directive) over the packages whose tests are the rotation's
// evidence, one package at a time, and writes test/MUTATION.md from
// gremlins' JSON output: per package the mutants killed, lived, not
// covered and timed out, the efficacy and the mutator coverage, the command
// and the date. Every mutant that lived or was not covered must be listed
// in test/mutation-equivalents.txt with the reason it is equivalent (no
// test can tell it from the original); the report names those that are
// not, and the command then exits 1.
//
// Run it from the repository root:
//
//	go run ./test/cmd/mutationreport [-workers N] [-packages shared/rotation,...]
//	go run ./test/cmd/mutationreport -from DIR   # report from earlier JSON outputs, without running gremlins
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// defaultPackages are the packages of the goal.
const defaultPackages = "shared/rotation,shared/datadog,shared/credential"

// goal is the efficacy and mutator coverage each package must reach, in
// percent, once equivalent mutants are set aside.
const goal = 95.0

func main() {
	var (
		packages    = flag.String("packages", defaultPackages, "comma-separated package directories, relative to the module root")
		workers     = flag.Int("workers", max(1, runtime.NumCPU()/2), "gremlins workers (each runs one mutant's tests)")
		coefficient = flag.Int("timeout-coefficient", 5, "gremlins' timeout: this many times the tests' own duration")
		equivalents = flag.String("equivalents", "test/mutation-equivalents.txt", "the mutants known to be equivalent, with their reasons")
		out         = flag.String("out", "test/MUTATION.md", "where to write the report")
		from        = flag.String("from", "", "read <dir>/<package with / as ->.json (and .seconds) instead of running gremlins")
		secondLook  = flag.Bool("rerun-not-covered", true, "run each mutant gremlins found not covered against the package's tests (see rerunNotCovered)")
		rerunLived  = flag.Bool("rerun-lived", false, "with -from: also run again the mutants that lived, against the tests as they are now")
		keep        = flag.String("keep", "", "copy gremlins' JSON output (and its duration) to this directory, for -from")
		only        = flag.String("only", "", "run again only the mutants whose file:line contains this text (with -from, to check a new test quickly)")
	)
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("mutationreport: ")
	if _, err := os.Stat("go.mod"); err != nil {
		log.Fatal("run from the repository root (make mutate)")
	}
	known, err := readEquivalents(*equivalents)
	if err != nil {
		log.Fatal(err)
	}
	r := report{date: time.Now().UTC(), equivalentsFile: *equivalents, version: gremlinsVersion()}
	for _, pkg := range strings.Split(*packages, ",") {
		pkg = strings.Trim(strings.TrimSpace(pkg), "/")
		res, err := measure(pkg, *from, *keep, *workers, *coefficient)
		if err != nil {
			log.Fatal(err)
		}
		if *secondLook {
			start := time.Now()
			if err := res.rerun(*rerunLived && *from != "", *only); err != nil {
				log.Fatal(err)
			}
			res.elapsed += time.Since(start)
		}
		if err := res.classify(known); err != nil {
			log.Fatal(err)
		}
		log.Printf("%s: %s", pkg, res.summary())
		r.packages = append(r.packages, res)
	}
	r.stale = known.unused()
	if err := os.WriteFile(*out, []byte(r.markdown()), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s", *out)
	if n := r.unjustified(); n > 0 {
		log.Printf("%d mutant(s) lived or were not covered without a reason in %s; kill them with a test, or add a line as the report suggests", n, *equivalents)
		os.Exit(1)
	}
}

// measure runs gremlins over one package, or reads an earlier run's output.
func measure(pkg, from, keep string, workers, coefficient int) (*pkgResult, error) {
	res := &pkgResult{pkg: pkg}
	jsonPath := filepath.Join(from, strings.ReplaceAll(pkg, "/", "-")+".json")
	if from == "" {
		dir, err := os.MkdirTemp("", "ddrotate-mutate-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		jsonPath = filepath.Join(dir, "out.json")
		res.command = fmt.Sprintf("go tool gremlins unleash --workers %d --test-cpu 1 --timeout-coefficient %d --output %s.json ./%s",
			workers, coefficient, strings.ReplaceAll(pkg, "/", "-"), pkg)
		cmd := exec.CommandContext(context.Background(), "go", "tool", "gremlins", "unleash",
			"--workers", fmt.Sprint(workers), "--test-cpu", "1", "--timeout-coefficient", fmt.Sprint(coefficient),
			"--output", jsonPath, "./"+pkg)
		logFile, err := os.Create(filepath.Join(dir, "gremlins.log"))
		if err != nil {
			return nil, err
		}
		defer logFile.Close()
		cmd.Stdout, cmd.Stderr = logFile, io.MultiWriter(logFile, os.Stderr)
		log.Printf("%s: %s", pkg, res.command)
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("%s: gremlins: %w (its output is in %s)", pkg, err, logFile.Name())
		}
		res.elapsed = time.Since(start)
	} else {
		res.command = "(read from " + jsonPath + ")"
		if b, err := os.ReadFile(strings.TrimSuffix(jsonPath, ".json") + ".seconds"); err == nil {
			var s float64
			if _, err := fmt.Sscan(string(b), &s); err == nil {
				res.elapsed = time.Duration(s * float64(time.Second))
			}
		}
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkg, err)
	}
	if keep != "" && from == "" {
		base := filepath.Join(keep, strings.ReplaceAll(pkg, "/", "-"))
		if err := os.WriteFile(base+".json", data, 0o644); err != nil {
			return nil, err
		}
		if err := os.WriteFile(base+".seconds", []byte(fmt.Sprintf("%.1f\n", res.elapsed.Seconds())), 0o644); err != nil {
			return nil, err
		}
	}
	if err := res.parse(data); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", pkg, jsonPath, err)
	}
	return res, nil
}

// gremlinsVersion is the version go.mod pins.
func gremlinsVersion() string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/go-gremlins/gremlins").Output()
	if err != nil {
		return "(unknown)"
	}
	return strings.TrimSpace(string(out))
}

// Gremlins' statuses, as its JSON output spells them.
const (
	statusKilled     = "KILLED"
	statusLived      = "LIVED"
	statusNotCovered = "NOT COVERED"
	statusTimedOut   = "TIMED OUT"
	statusNotViable  = "NOT VIABLE"
	statusSkipped    = "SKIPPED"
)

// gremlinsOutput is the part of gremlins' --output JSON the report reads.
type gremlinsOutput struct {
	Files []struct {
		FileName  string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
	ElapsedTime float64 `json:"elapsed_time"`
}

// mutant is one mutation of one package.
type mutant struct {
	File   string // relative to the module root
	Type   string
	Status string
	Line   int
	Column int
	Source string // the mutated line, trimmed
	// Rerun is the outcome of running a mutant gremlins found not covered
	// against the package's tests (see rerunNotCovered); "" if not run.
	Rerun string
	// Reason is why the mutant is equivalent, when it lived or was not
	// covered and test/mutation-equivalents.txt says so.
	Reason string
}

// final is the mutant's status once a not-covered mutant has been run: a
// test that kills it covers it after all; one that lives is not covered
// by any test that can tell.
func (m mutant) final() string {
	switch {
	case m.Rerun == "":
		return m.Status
	case m.Rerun == statusLived:
		return m.Status // not covered, or lived, still
	}
	return m.Rerun
}

// key identifies a mutant across line moves: its file, mutator, column and
// the text of its line.
func (m mutant) key() string {
	return fmt.Sprintf("%s %s %d | %s", m.File, m.Type, m.Column, m.Source)
}

func (m mutant) survived() bool { return m.final() == statusLived || m.final() == statusNotCovered }

type pkgResult struct {
	pkg     string
	command string
	elapsed time.Duration
	mutants []mutant
}

func (p *pkgResult) parse(data []byte) error {
	var out gremlinsOutput
	if err := json.Unmarshal(data, &out); err != nil {
		return err
	}
	if p.elapsed == 0 {
		p.elapsed = time.Duration(out.ElapsedTime * float64(time.Second))
	}
	for _, f := range out.Files {
		for _, m := range f.Mutations {
			p.mutants = append(p.mutants, mutant{File: filepath.ToSlash(filepath.Join(p.pkg, f.FileName)), Type: m.Type, Status: m.Status, Line: m.Line, Column: m.Column})
		}
	}
	slices.SortFunc(p.mutants, func(a, b mutant) int {
		return strings.Compare(fmt.Sprintf("%s:%06d:%04d:%s", a.File, a.Line, a.Column, a.Type), fmt.Sprintf("%s:%06d:%04d:%s", b.File, b.Line, b.Column, b.Type))
	})
	return nil
}

// classify reads each surviving mutant's source line and its reason.
func (p *pkgResult) classify(known *equivalents) error {
	lines := map[string][]string{}
	for i := range p.mutants {
		m := &p.mutants[i]
		if _, ok := lines[m.File]; !ok {
			data, err := os.ReadFile(m.File)
			if err != nil {
				return err
			}
			lines[m.File] = strings.Split(string(data), "\n")
		}
		if src := lines[m.File]; m.Line >= 1 && m.Line <= len(src) {
			m.Source = strings.TrimSpace(src[m.Line-1])
		}
		if m.survived() {
			m.Reason = known.reason(m.key())
		}
	}
	return nil
}

// raw counts the mutants gremlins gave a status.
func (p *pkgResult) raw(status string) int {
	n := 0
	for _, m := range p.mutants {
		if m.Status == status {
			n++
		}
	}
	return n
}

// count counts the mutants whose final status is status.
func (p *pkgResult) count(status string) int {
	n := 0
	for _, m := range p.mutants {
		if m.final() == status {
			n++
		}
	}
	return n
}

// rerunKilled counts the mutants gremlins found not covered (or, with
// -rerun-lived, lived) that a test killed when run here.
func (p *pkgResult) rerunKilled() int {
	n := 0
	for _, m := range p.mutants {
		if m.Status != statusKilled && (m.Rerun == statusKilled || m.Rerun == statusTimedOut) {
			n++
		}
	}
	return n
}

// equivalentCount counts the surviving mutants of a final status with a reason.
func (p *pkgResult) equivalentCount(status string) int {
	n := 0
	for _, m := range p.mutants {
		if m.final() == status && m.Reason != "" {
			n++
		}
	}
	return n
}

// rawEfficacy and rawCoverage are gremlins' own figures.
func (p *pkgResult) rawEfficacy() float64 {
	return percent(p.raw(statusKilled), p.raw(statusKilled)+p.raw(statusLived))
}

func (p *pkgResult) rawCoverage() float64 {
	covered := p.raw(statusKilled) + p.raw(statusLived)
	return percent(covered, covered+p.raw(statusNotCovered))
}

// efficacy and coverage are gremlins' measures on the final statuses:
// killed over killed + lived, and killed + lived over those and the not
// covered (timed out and not viable mutants count in neither). Without
// equivalents they leave out the mutants listed as equivalent.
func (p *pkgResult) efficacy(withoutEquivalents bool) float64 {
	killed, lived := p.count(statusKilled), p.count(statusLived)
	if withoutEquivalents {
		lived -= p.equivalentCount(statusLived)
	}
	return percent(killed, killed+lived)
}

func (p *pkgResult) coverage(withoutEquivalents bool) float64 {
	covered := p.count(statusKilled) + p.count(statusLived)
	notCovered := p.count(statusNotCovered)
	if withoutEquivalents {
		covered -= p.equivalentCount(statusLived)
		notCovered -= p.equivalentCount(statusNotCovered)
	}
	return percent(covered, covered+notCovered)
}

func percent(n, of int) float64 {
	if of == 0 {
		return 100
	}
	return 100 * float64(n) / float64(of)
}

func (p *pkgResult) unjustified() []mutant {
	var out []mutant
	for _, m := range p.mutants {
		if m.survived() && m.Reason == "" {
			out = append(out, m)
		}
	}
	return out
}

func (p *pkgResult) summary() string {
	return fmt.Sprintf("gremlins: killed %d, lived %d, not covered %d, timed out %d (efficacy %.1f %%, mutator coverage %.1f %%); %d not covered killed when run; final efficacy %.1f %%, mutator coverage %.1f %% (%.1f %% and %.1f %% without equivalents); %d unjustified; %s",
		p.raw(statusKilled), p.raw(statusLived), p.raw(statusNotCovered), p.raw(statusTimedOut), p.rawEfficacy(), p.rawCoverage(),
		p.rerunKilled(), p.efficacy(false), p.coverage(false), p.efficacy(true), p.coverage(true), len(p.unjustified()), p.elapsed.Round(time.Second))
}

// equivalents are the lines of test/mutation-equivalents.txt:
//
//	<file> <MUTATOR> <column> | <the mutated line, trimmed> | <why no test can tell>
//
// Blank lines and lines starting with # are comments.
type equivalents struct {
	reasons map[string]string
	used    map[string]bool
}

func readEquivalents(path string) (*equivalents, error) {
	e := &equivalents{reasons: map[string]string{}, used: map[string]bool{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return e, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndex(line, " | ")
		if i < 0 || strings.Count(line, " | ") < 2 {
			return nil, fmt.Errorf("%s:%d: want <file> <MUTATOR> <column> | <source line> | <reason>", path, n)
		}
		key, reason := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+3:])
		if reason == "" || strings.EqualFold(reason, "TODO") {
			return nil, fmt.Errorf("%s:%d: the reason is missing", path, n)
		}
		if _, dup := e.reasons[key]; dup {
			return nil, fmt.Errorf("%s:%d: listed twice", path, n)
		}
		e.reasons[key] = reason
	}
	return e, sc.Err()
}

func (e *equivalents) reason(key string) string {
	r, ok := e.reasons[key]
	if ok {
		e.used[key] = true
	}
	return r
}

// unused lists the entries no surviving mutant matched: the code changed
// (or a test now kills the mutant) and the line should go.
func (e *equivalents) unused() []string {
	var out []string
	for k := range e.reasons {
		if !e.used[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

type report struct {
	date            time.Time
	version         string
	equivalentsFile string
	packages        []*pkgResult
	stale           []string
}

func (r report) unjustified() int {
	n := 0
	for _, p := range r.packages {
		n += len(p.unjustified())
	}
	return n
}

func (r report) markdown() string {
	var b strings.Builder
	b.WriteString("# Mutation testing\n\n")
	fmt.Fprintf(&b, "Generated by `make mutate` (`go run ./test/cmd/mutationreport`) on %s with gremlins %s (pinned in go.mod's `tool` directive), from gremlins' JSON output; do not edit.\n", r.date.Format("2006-01-02"), r.version)
	b.WriteString("Each package's own tests are run against every mutant of its code. Efficacy is killed / (killed + lived); mutator coverage is (killed + lived) / (killed + lived + not covered); timed-out mutants (the tests hung: an infinite loop, which is a kill) and not-viable ones (they do not compile) count in neither, as in gremlins.\n\n")
	b.WriteString("Gremlins calls a mutant not covered when no coverage block holds its position, and Go's coverage blocks leave out the case expressions of a switch, however often the tests evaluate them. So every mutant gremlins calls not covered is then run here against the package's tests, as gremlins would run it (the same token swap, through `go test -overlay`, leaving the tree untouched): one a test kills counts as killed, one that lives stays not covered.\n\n")
	fmt.Fprintf(&b, "A mutant that lives or stays not covered is either killed by a new test or listed in [`%s`](%s) as equivalent, with the reason no test can tell it from the original; the columns \"without equivalents\" leave those out. Goal: %.0f %% for both on each package.\n\n", filepath.Base(r.equivalentsFile), filepath.Base(r.equivalentsFile), goal)
	b.WriteString("| package | killed | lived | not covered | timed out | not viable | efficacy | mutator coverage | not covered, killed when run | final efficacy | final mutator coverage | equivalent | efficacy without equivalents | coverage without equivalents | unjustified | time |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, p := range r.packages {
		fmt.Fprintf(&b, "| `%s` | %d | %d | %d | %d | %d | %.1f %% | %.1f %% | %d | %.1f %% | %.1f %% | %d | %.1f %% | %.1f %% | %d | %s |\n", p.pkg,
			p.raw(statusKilled), p.raw(statusLived), p.raw(statusNotCovered), p.raw(statusTimedOut), p.raw(statusNotViable)+p.raw(statusSkipped),
			p.rawEfficacy(), p.rawCoverage(), p.rerunKilled(), p.efficacy(false), p.coverage(false),
			p.equivalentCount(statusLived)+p.equivalentCount(statusNotCovered),
			p.efficacy(true), p.coverage(true), len(p.unjustified()), p.elapsed.Round(time.Second))
	}
	b.WriteString("\nThe first columns are gremlins' own counts; \"final\" counts the not-covered mutants a test killed when run as killed.\n")
	b.WriteString("\nCommands (from the repository root):\n\n")
	for _, p := range r.packages {
		fmt.Fprintf(&b, "* `%s`\n", p.command)
	}
	for _, p := range r.packages {
		fmt.Fprintf(&b, "\n## `%s`\n\n", p.pkg)
		var eq []mutant
		for _, m := range p.mutants {
			if m.survived() && m.Reason != "" {
				eq = append(eq, m)
			}
		}
		if len(eq) > 0 {
			b.WriteString("Equivalent mutants:\n\n| where | mutator | status | line | why it is equivalent |\n| --- | --- | --- | --- | --- |\n")
			for _, m := range eq {
				fmt.Fprintf(&b, "| %s:%d:%d | %s | %s | `%s` | %s |\n", m.File, m.Line, m.Column, m.Type, m.final(), cell(m.Source), cell(m.Reason))
			}
		} else {
			b.WriteString("No equivalent mutants.\n")
		}
		if un := p.unjustified(); len(un) > 0 {
			fmt.Fprintf(&b, "\n**%d mutant(s) lived or were not covered, with no test to kill them and no reason given.** Kill each with a test of the behaviour it breaks, or add its line to `%s` with the reason:\n\n```\n", len(un), r.equivalentsFile)
			for _, m := range un {
				fmt.Fprintf(&b, "# %s at %s:%d\n%s | <why no test can tell>\n", m.final(), m.File, m.Line, m.key())
			}
			b.WriteString("```\n")
		}
	}
	if len(r.stale) > 0 {
		fmt.Fprintf(&b, "\n## Stale entries\n\nThese lines of `%s` matched no surviving mutant (the code moved, or a test kills it now) and should go:\n\n", r.equivalentsFile)
		for _, k := range r.stale {
			fmt.Fprintf(&b, "* `%s`\n", cell(k))
		}
	}
	return b.String()
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "`", "'")
}
