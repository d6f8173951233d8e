// Package test holds ddrotate's system tests: the deployed state machine
// definitions run under the local executor against the Datadog and AWS
// emulators, with the invariants listed in the README checked after every scenario:
// 1-3 and 6-9 by localenv.CheckInvariants, 4 by the leak scan and 5 by
// checkAll against the state before the execution.
package test
