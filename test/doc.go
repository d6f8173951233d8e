// Package test holds ddrotate's system tests: the deployed state machine
// definitions run under the local executor against the Datadog and AWS
// emulators, with the five invariants listed in the README checked after every scenario.
package test
