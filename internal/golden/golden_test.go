package golden

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ddrotate/ddrotate/internal/testkeys"
)

const importPath = "github.com/ddrotate/ddrotate/internal/golden"

// `go test ./... -update` fails in any test binary that does not define
// -update, so every package with tests must import this one.
func TestEveryTestPackageAcceptsUpdate(t *testing.T) {
	root := moduleRoot(t)
	withTests := map[string]bool{}
	importing := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			// The go command ignores these directories too.
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules" || name == "cdk.out") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, "_test.go") {
			return nil
		}
		dir := filepath.Dir(path)
		withTests[dir] = true
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == importPath {
				importing[dir] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if len(withTests) < 2 {
		t.Fatalf("found only %d packages with tests under %s; the walk is broken", len(withTests), root)
	}
	for dir := range withTests {
		if dir == here || importing[dir] {
			continue
		}
		rel, _ := filepath.Rel(root, dir)
		t.Errorf("package ./%s has tests but does not import %s, so `go test ./... -update` fails there; add a golden_flag_test.go with `import _ %q`",
			filepath.ToSlash(rel), importPath, importPath)
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

func TestNormalizer(t *testing.T) {
	n := NewNormalizer()
	n.Record(t, []byte(`{"executionId":"arn:aws:states:us-east-1:000000000000:execution:m:6f1c2a7e-0000-4000-8000-000000000001",
		"secretArn":"arn:aws:secretsmanager:us-east-1:000000000000:secret:ddrotate/payments-AbCdEf",
		"keyName":"ddrotate-payments-0123456789","pendingVersionId":"11111111-2222-4333-8444-555555555555",
		"new":{"apiKeyId":"aaaaaaaa-2222-4333-8444-555555555555","apiKeyLast4":"ab12"},
		"old":{"apiKeyId":"bbbbbbbb-2222-4333-8444-555555555555","apiKeyLast4":"cd34"}}`))
	got := n.JSON(t, []byte(`{"revoked":[{"type":"api","id":"bbbbbbbb-2222-4333-8444-555555555555","last4":"cd34"}],
		"time":"2026-01-05T09:00:00Z","graceSeconds":86400,
		"errorMessage":"the key aaaaaaaa-2222-4333-8444-555555555555 (…ab12) of arn:aws:secretsmanager:us-east-1:000000000000:secret:ddrotate/payments-AbCdEf"}`))
	want := `{
  "errorMessage": "the key <newApiKeyId> (…<last4>) of <secretArn>",
  "graceSeconds": 86400,
  "revoked": [
    {
      "id": "<oldApiKeyId>",
      "last4": "<last4>",
      "type": "api"
    }
  ],
  "time": "<time>"
}
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestNormalizerRefusesWhatItDoesNotKnow(t *testing.T) {
	for _, doc := range []string{
		`{"id":"cccccccc-2222-4333-8444-555555555555"}`,
		`{"topic":"arn:aws:sns:us-east-1:000000000000:t"}`,
		`{"name":"ddrotate-payments-0123456789"}`,
		`{"note":"` + testkeys.APIKey("golden") + `"}`,
		`{"note":"` + testkeys.AppToken("golden") + `"}`,
	} {
		ft := &fakeT{TB: t}
		NewNormalizer().JSON(ft, []byte(doc))
		if !ft.failed {
			t.Errorf("%s: normalised without complaint", doc)
		}
	}
}

// fakeT records a failure instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}
