// Package golden compares what ddrotate's tests produce with golden files
// under testdata, and rewrites those files when the tests run with -update:
//
//	go test ./... -update
//
// The go command passes -update to every test binary it builds, and a
// binary that does not define the flag fails. So every package with tests
// imports this package, if only for the flag: a package without golden
// files does it with a file golden_flag_test.go holding
//
//	import _ "github.com/ddrotate/ddrotate/internal/golden"
//
// and TestEveryTestPackageAcceptsUpdate (in this package) fails when a
// package with tests lacks it.
//
// Golden files hold no value that varies from run to run and nothing shaped
// like a key or an id: a [Normalizer] replaces them with placeholders such as
// "<newApiKeyId>" before the comparison, and refuses a document in which an
// id, an ARN or a key-shaped value survives.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata with what the tests produce")

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// Compare fails t unless got is the content of the golden file at path;
// with -update it writes got to path instead. A trailing newline is added
// to got if it lacks one.
func Compare(t testing.TB, path string, got []byte) {
	t.Helper()
	if !bytes.HasSuffix(got, []byte("\n")) {
		got = append(bytes.Clone(got), '\n')
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("golden: %v (run the tests with -update to write it)", err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("golden file %s differs (run the tests with -update to rewrite it once the change is intended):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the lines of want and got from the first that differs.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	const context = 12
	cut := func(lines []string) string {
		end := min(len(lines), i+context)
		return strings.Join(lines[i:end], "\n")
	}
	return "from line " + strconv.Itoa(i+1) + "\n--- want\n" + cut(w) + "\n+++ got\n" + cut(g)
}
