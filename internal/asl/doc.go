// Package asl is a local executor for the Amazon States Language: it runs
// ddrotate's deployed definitions (package statemachine) unchanged, invoking
// each Task's handler through the same JSON boundary Lambda uses, so the
// definition that ships is the one the tests and the demo exercise. It is a
// local stand-in and is never linked into a Lambda or the CDK app.
package asl
