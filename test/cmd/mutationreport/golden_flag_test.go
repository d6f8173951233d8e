package main

// This package has no golden files, but `go test ./... -update` passes
// -update to its test binary too, which fails on a flag it does not define.
import _ "github.com/ddrotate/ddrotate/internal/golden"
