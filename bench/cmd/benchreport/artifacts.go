package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// lambdaBuildFlags are the Makefile's LAMBDA_FLAGS.
var lambdaBuildFlags = []string{"build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags=-s -w"}

// artifact is one step Lambda's deployment bundle.
type artifact struct {
	name           string
	bootstrap, zip int64
	build          time.Duration
}

// buildLambdas builds every functions/<name> for linux/arm64 as the Makefile
// does into dir/<name>/bootstrap, and zips it the way the CDK asset holds it.
func buildLambdas(ctx context.Context, dir string) ([]artifact, error) {
	entries, err := os.ReadDir("functions")
	if err != nil {
		return nil, err
	}
	var out []artifact
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		a := artifact{name: e.Name()}
		bin := filepath.Join(dir, e.Name(), "bootstrap")
		args := append(append([]string{}, lambdaBuildFlags...), "-o", bin, "./functions/"+e.Name())
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
		t0 := time.Now()
		if msg, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("build %s: %v\n%s", e.Name(), err, msg)
		}
		a.build = time.Since(t0)
		st, err := os.Stat(bin)
		if err != nil {
			return nil, err
		}
		a.bootstrap = st.Size()
		if a.zip, err = zipSize(bin); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// zipSize is the size of a zip (deflate, default level) holding bin as
// an executable named bootstrap.
func zipSize(bin string) (int64, error) {
	f, err := os.Open(bin)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(w, f); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(buf.Len()), nil
}

// benchLine is one `go test -bench -benchmem` result.
type benchLine struct {
	name                 string
	nsPerOp              float64
	bytesPerOp, allocsOp int64
}

var benchRE = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op\s+(\d+) B/op\s+(\d+) allocs/op`)

// runGoBenchmarks runs the Go benchmarks of ./bench and parses them.
func runGoBenchmarks(ctx context.Context) ([]benchLine, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1", "./bench/")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench: %v\n%s", err, out)
	}
	var lines []benchLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		b, _ := strconv.ParseInt(m[3], 10, 64)
		a, _ := strconv.ParseInt(m[4], 10, 64)
		lines = append(lines, benchLine{name: m[1], nsPerOp: ns, bytesPerOp: b, allocsOp: a})
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("go test -bench printed no results:\n%s", out)
	}
	return lines, nil
}

// demoResult is the wall time of `ddrotate demo`, built once.
type demoResult struct {
	build time.Duration
	runs  []time.Duration
	ok    bool
}

// timeDemo builds ./cmd/ddrotate into dir and times runs of `ddrotate demo`.
func timeDemo(ctx context.Context, dir string, runs int) (demoResult, error) {
	var res demoResult
	bin := filepath.Join(dir, "ddrotate")
	t0 := time.Now()
	if msg, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ddrotate").CombinedOutput(); err != nil {
		return res, fmt.Errorf("build ddrotate: %v\n%s", err, msg)
	}
	res.build = time.Since(t0)
	res.ok = true
	for range runs {
		t0 := time.Now()
		err := exec.CommandContext(ctx, bin, "demo").Run()
		res.runs = append(res.runs, time.Since(t0))
		if err != nil {
			res.ok = false
		}
	}
	return res, nil
}
