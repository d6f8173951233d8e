// Package test holds ddrotate's system tests: the deployed state machine
// definitions run under the local executor against the Datadog and AWS
// emulators, with DESIGN.md's five invariants checked after every scenario.
package test
