// Package rotation holds ddrotate's rotation steps as plain functions over
// small interfaces, so the same step runs in a Lambda, under the local States
// Language executor and in tests.
//
// The Secrets Manager staging labels are the source of truth, as in AWS's own
// rotation protocol: AWSCURRENT is what consumers read, AWSPENDING is the new
// credential being built and doubles as the per-secret lock, AWSPREVIOUS is
// the credential being retired. No key value ever leaves a step: steps pass a
// [Record] of ids, version ids and last4s, because an execution's history is
// readable by anyone with states:GetExecutionHistory.
package rotation
