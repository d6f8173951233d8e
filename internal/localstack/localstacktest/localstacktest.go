// Package localstacktest stands the synthesized stack up for tests of
// other packages (the CLI's): it synthesizes the CDK app from the example
// configuration and builds the step bootstraps once per test binary, as
// internal/localstack's own tests do.
package localstacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ddrotate/ddrotate/internal/localstack"
)

// dir holds the cloud assembly and the bootstraps of one test binary.
var dir = sync.OnceValues(func() (string, error) { return os.MkdirTemp("", "ddrotate-localstacktest-") })

// Main runs the tests of a package and then removes what they built;
// call it from the package's TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if d, err := dir(); err == nil {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// Synthesized returns the example configuration's synthesized template,
// synthesizing it on the first call.
var Synthesized = sync.OnceValues(func() (string, error) {
	d, err := dir()
	if err != nil {
		return "", err
	}
	root, err := localstack.ModuleRoot()
	if err != nil {
		return "", err
	}
	return localstack.Synthesize(root, filepath.Join(root, "ddrotate.config.example.json"), d)
})

// Bootstraps returns the step functions' bootstraps, building them on the
// first call.
var Bootstraps = sync.OnceValues(func() (map[string]string, error) {
	d, err := dir()
	if err != nil {
		return nil, err
	}
	root, err := localstack.ModuleRoot()
	if err != nil {
		return nil, err
	}
	return localstack.StepBootstraps(root, filepath.Join(d, "bootstraps"))
})

// Options change the stack a test stands up.
type Options struct {
	// Mutate edits a copy of the template before it is deployed.
	Mutate func(tmpl map[string]any)
	// Bootstraps adds bootstraps by function name, for functions a
	// mutated template adds.
	Bootstraps map[string]string
}

// Start stands the synthesized template up for one test; it is closed
// when the test ends. The functions' output goes to t.Log when
// DDROTATE_LOCALSTACK_LOGS is set.
func Start(t testing.TB, opts Options) *localstack.Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("synthesizes the CDK app and runs the real bootstraps")
	}
	path, err := Synthesized()
	if err != nil {
		t.Fatal(err)
	}
	bins, err := Bootstraps()
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]string{}
	for k, v := range bins {
		all[k] = v
	}
	for k, v := range opts.Bootstraps {
		all[k] = v
	}
	if opts.Mutate != nil {
		path = MutatedTemplate(t, path, opts.Mutate)
	}
	root, err := localstack.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	logs := &testLog{t: t}
	ls, err := localstack.Start(context.Background(), localstack.Options{TemplatePath: path, SourceDir: root, Bootstraps: all, Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logs.stop()
		ls.Close()
	})
	return ls
}

// MutatedTemplate writes a copy of the template at path, edited by
// mutate, into a test folder, with the nested stacks' templates beside
// it, and returns the copy's path.
func MutatedTemplate(t testing.TB, path string, mutate func(map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	mutate(tmpl)
	out := t.TempDir()
	nested, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.nested.template.json"))
	for _, n := range nested {
		nb, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, filepath.Base(n)), nb, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, _ = json.Marshal(tmpl)
	dst := filepath.Join(out, filepath.Base(path))
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// BuildFunction builds the Go package pkg (a path relative to the module
// root, such as ./cmd/ddrotate/testdata/audit) as a Lambda bootstrap for
// this machine and returns its path.
func BuildFunction(t testing.TB, pkg string) string {
	t.Helper()
	d, err := dir()
	if err != nil {
		t.Fatal(err)
	}
	root, err := localstack.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(d, "extra", strings.NewReplacer("/", "_", ".", "_").Replace(pkg), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatal(fmt.Errorf("go build %s: %w\n%s", pkg, err, b))
	}
	return out
}

// testLog passes the functions' output to t.Log while the test runs.
type testLog struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (l *testLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped && os.Getenv("DDROTATE_LOCALSTACK_LOGS") != "" {
		l.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stopped = true
}
