package localstack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/shared/deploy"
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
var moduleRoot = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
})

// synthesized synthesizes the CDK app from the example configuration
// once per test binary and returns the template's path.
var synthesized = sync.OnceValues(func() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	fns := filepath.Join(testDir, "fake-functions")
	for _, step := range deploy.Steps() {
		if err := os.MkdirAll(filepath.Join(fns, string(step)), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(fns, string(step), "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			return "", err
		}
	}
	out := filepath.Join(testDir, "cdk.out")
	cmd := exec.Command("go", "run", "./infra")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CDK_OUTDIR="+out, "DDROTATE_FUNCTIONS_DIR="+fns,
		"DDROTATE_CONFIG="+filepath.Join(root, "ddrotate.config.example.json"), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("synthesize: %v\n%s", err, b)
	}
	return filepath.Join(out, "ddrotate.template.json"), nil
})

// bootstraps builds the step functions' bootstraps once per test binary.
var bootstraps = sync.OnceValues(func() (map[string]string, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, step := range deploy.Steps() {
		names = append(names, string(step))
	}
	dir := filepath.Join(testDir, "bootstraps")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return BuildBootstraps(root, dir, names)
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
