package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ddrotate/ddrotate/internal/lambdart"
	"github.com/ddrotate/ddrotate/shared/lambdaenv"
)

// verifyBootstrap builds functions/verify as `ddrotate serve --template`
// builds it: for this host, with -tags lambda.norpc.
var verifyBootstrap = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	dir, err := os.MkdirTemp("", "ddrotate-bench-bootstrap")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-o", bin, "./functions/verify")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func verifyFunction(b *testing.B) *lambdart.Function {
	bin, err := verifyBootstrap()
	if err != nil {
		b.Fatal(err)
	}
	return lambdart.New(lambdart.Config{
		Name: "ddrotate-verify", ARN: "arn:aws:lambda:us-east-1:000000000000:function:ddrotate-verify",
		Binary: bin, Timeout: 60 * time.Second, MemoryMB: 256, Region: "us-east-1", Env: lambdaEnv, Logs: io.Discard,
		Credentials: func() (lambdart.Credentials, error) {
			return lambdart.Credentials{AccessKeyID: "ASIAEXAMPLEEXAMPLE00", SecretAccessKey: "secret", SessionToken: "session"}, nil
		},
	})
}

// badInput fails in the step before any AWS or Datadog call, so that an
// invocation measures the boundary alone.
var badInput = []byte(`{}`)

// BenchmarkBootstrapColdStart starts the real verify bootstrap under the
// local Runtime API and invokes it once: ns/op is process start to the
// first response; ms-init/op is process start to its first /next (the
// init phase: package init, settings, SDK configuration and clients).
func BenchmarkBootstrapColdStart(b *testing.B) {
	if _, err := verifyBootstrap(); err != nil {
		b.Fatal(err)
	}
	var initTotal time.Duration
	for b.Loop() {
		fn := verifyFunction(b)
		res, err := fn.Invoke(context.Background(), badInput)
		if err != nil || !res.ColdStart || res.FunctionError == "" {
			b.Fatalf("cold invoke: %v %+v", err, res)
		}
		initTotal += res.InitDuration
		fn.Close()
	}
	b.ReportMetric(float64(initTotal.Microseconds())/1000/float64(b.N), "ms-init/op")
}

// BenchmarkBootstrapWarmInvoke invokes a warm verify bootstrap: one round
// trip through the Runtime API (/next, the handler, /error).
func BenchmarkBootstrapWarmInvoke(b *testing.B) {
	fn := verifyFunction(b)
	defer fn.Close()
	if _, err := fn.Invoke(context.Background(), badInput); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if res, err := fn.Invoke(context.Background(), badInput); err != nil || res.ColdStart {
			b.Fatalf("warm invoke: %v", err)
		}
	}
}

// BenchmarkInProcessInvoke is the same invocation in the in-process mode
// (the fast tests, the demo): the step's handler through aws-lambda-go's
// JSON boundary, no process and no HTTP.
func BenchmarkInProcessInvoke(b *testing.B) {
	for k, v := range lambdaEnv {
		b.Setenv(k, v)
	}
	b.Setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEEXAMPLE00")
	b.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	b.Setenv("AWS_REGION", "us-east-1")
	steps, err := lambdaenv.Steps(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	h := lambda.NewHandler(steps.Verify)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Invoke(context.Background(), badInput); err == nil {
			b.Fatal("bad input succeeded")
		}
	}
}
