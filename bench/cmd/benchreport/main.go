// Command benchreport is `make bench`: it measures what a rotation costs
// (Datadog and AWS calls, state transitions, dollars), how fast a fleet
// rotates under a Datadog rate limit, the Lambda artifacts and their init,
// and the local demo, prints one table and writes it to bench/RESULTS.md.
//
// Run it from the repository root: go run ./bench/cmd/benchreport [-targets N].
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func main() {
	var (
		targets     = flag.Int("targets", 1000, "targets in the fleet runs")
		realTargets = flag.Int("real-targets", -1, "targets in the real-clock fleet run (-1: as -targets; 0: skip it)")
		budget      = flag.Duration("fleet-budget", 4*time.Minute, "longest a fleet run may take; fewer targets are run to fit")
		reps        = flag.Int("reps", 3, "steady-state rotations measured per kind and mode")
		out         = flag.String("out", "bench/RESULTS.md", "where to write the report")
		skipBuild   = flag.Bool("skip-lambdas", false, "skip building the Lambda artifacts and the Go benchmarks")
		scale       = flag.Int("scale-targets", 10000, "targets in the fleet run measured against Step Functions' limits (0: skip it)")
		synth       = flag.Int("synth-targets", 1000, "targets in the synthesized config measured against CloudFormation's and IAM's limits (0: skip it)")
	)
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("benchreport: ")
	if _, err := os.Stat("functions"); err != nil {
		log.Fatal("run from the repository root (make bench)")
	}
	if *realTargets < 0 {
		*realTargets = *targets
	}
	ctx := context.Background()
	start := time.Now()
	r := report{started: start, reps: *reps}
	var err error

	log.Print("1-2. calls and transitions per rotation")
	if r.calls, err = measureCalls(ctx, *reps); err != nil {
		log.Fatal(err)
	}

	log.Print("3. fleet throughput (virtual clock)")
	if r.virtual, err = fleetWithinBudget(ctx, *targets, false, *budget); err != nil {
		log.Fatal(err)
	}
	if *realTargets > 0 {
		log.Print("3. fleet throughput (real clock)")
		if r.real, err = fleetWithinBudget(ctx, *realTargets, true, *budget); err != nil {
			log.Fatal(err)
		}
	}

	if *scale > 0 {
		log.Printf("3. fleet of %d targets against Step Functions' limits (virtual clock)", *scale)
		if r.scale, err = runScaleFleet(ctx, *scale); err != nil {
			log.Fatal(err)
		}
	}

	tmp, err := os.MkdirTemp("", "ddrotate-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	functionsDir := ""
	if !*skipBuild {
		log.Print("4. Lambda artifacts")
		if r.artifacts, err = buildLambdas(ctx, tmp); err != nil {
			log.Fatal(err)
		}
		functionsDir = tmp
		log.Print("4. Go benchmarks (go test -bench . -benchmem ./bench/)")
		if r.benchmarks, err = runGoBenchmarks(ctx); err != nil {
			log.Fatal(err)
		}
	}

	if *synth > 0 {
		log.Printf("6. synthesis of %d targets against CloudFormation's and IAM's limits", *synth)
		synthDir := filepath.Join(tmp, "synth")
		if err := os.MkdirAll(synthDir, 0o755); err != nil {
			log.Fatal(err)
		}
		if r.synth, err = measureSynth(ctx, synthDir, *synth, functionsDir); err != nil {
			log.Fatal(err)
		}
	}

	log.Print("5. local demo")
	if r.demo, err = timeDemo(ctx, tmp, 3); err != nil {
		log.Fatal(err)
	}

	r.took = time.Since(start)
	text := r.render(machine())
	fmt.Print(text)
	if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s in %s", *out, r.took.Round(time.Second))
	if r.virtual.failed > 0 || r.real.failed > 0 || r.scale.failed > 0 || !r.demo.ok || r.synth.checkErr != nil {
		log.Print("FAILED: rotations failed, the demo failed or a limit was crossed; see the table")
		os.Exit(1)
	}
}

// fleetWithinBudget runs a pilot fleet and, if n targets would not fit in
// budget at the pilot's pace, runs as many as would.
func fleetWithinBudget(ctx context.Context, n int, real bool, budget time.Duration) (fleetResult, error) {
	const pilot = 50
	want := n
	if n > pilot {
		p, err := runFleet(ctx, pilot, real)
		if err != nil {
			return p, fmt.Errorf("pilot fleet: %w", err)
		}
		perTarget := p.wall / pilot
		if real {
			// On the real clock the rate limit, not the pilot's pace, sets
			// the pace of a large fleet.
			perTarget = max(perTarget, fleetLimitPeriod/fleetCreateLimit)
		}
		if fit := int(float64(budget) / 1.25 / float64(perTarget)); fit < n {
			n = max(pilot, fit/10*10)
		}
	}
	res, err := runFleet(ctx, n, real)
	res.requested = want
	return res, err
}

// machineInfo describes where the numbers were measured.
type machineInfo struct {
	cpus          int
	goos, goarch  string
	goVersion     string
	cpuModel, rev string
}

func machine() machineInfo {
	m := machineInfo{cpus: runtime.NumCPU(), goos: runtime.GOOS, goarch: runtime.GOARCH, goVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpuModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.rev = strings.TrimSpace(string(b))
	}
	return m
}
