package localstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testDir holds the synthesized cloud assembly and the built bootstraps,
// shared by the package's tests: synthesizing and building are slow.
var testDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ddrotate-localstack-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// moduleRoot is the folder holding go.mod.
var moduleRoot = sync.OnceValues(ModuleRoot)

// synthesized synthesizes the CDK app from the example configuration
// once per test binary and returns the template's path.
var synthesized = sync.OnceValues(func() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	return Synthesize(root, filepath.Join(root, "ddrotate.config.example.json"), testDir)
})

// bootstraps builds the step functions' bootstraps once per test binary.
var bootstraps = sync.OnceValues(func() (map[string]string, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	return StepBootstraps(root, filepath.Join(testDir, "bootstraps"))
})

// startStack stands the synthesized template up for one test.
func startStack(t testing.TB, mutate func(tmpl map[string]any)) *Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("synthesizes the CDK app and runs the real bootstraps")
	}
	path, err := synthesized()
	if err != nil {
		t.Fatal(err)
	}
	bins, err := bootstraps()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := moduleRoot()
	if mutate != nil {
		path = mutatedTemplate(t, path, mutate)
	}
	logs := &testLog{t: t}
	ls, err := Start(context.Background(), Options{TemplatePath: path, SourceDir: root, Bootstraps: bins, Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logs.stop()
		ls.Close()
	})
	return ls
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

func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
