// Package bench holds ddrotate's benchmarks. `make bench` runs
// ./bench/cmd/benchreport, which measures Datadog and AWS calls, state
// transitions and cost per rotation, fleet throughput under a Datadog rate
// limit, the Lambda artifacts (including the Go benchmarks of this package)
// and the local demo, and writes the table to bench/RESULTS.md.
package bench
