// Package awsemu is an in-memory emulator of the few AWS APIs ddrotate calls:
// Secrets Manager, SNS and STS.
//
// It exists so that the whole system, and the safety of its rotation, can be
// exercised on one machine with no AWS account. It therefore speaks the real
// wire protocols (awsJson1_1 for Secrets Manager, awsQuery with XML responses
// for SNS and STS) so that the unmodified aws-sdk-go-v2 clients, configured
// with BaseEndpoint, and the AWS CLI, run with --endpoint-url, work against it
// unchanged. Behaviour follows the AWS API reference; where the reference is
// silent the emulator picks the stricter reading, so that code which passes
// here does not rely on leniency the real service may not have.
//
// One [Server] serves all three services on one port and routes each request
// by its X-Amz-Target header (Secrets Manager) or its Action parameter (SNS
// and STS). State lives in memory and is guarded by one lock, so every
// request is atomic with respect to every other one.
//
// Input that breaks the API model's constraints (a missing required member,
// a length, pattern, numeric bound or enum of the model: a ClientRequestToken
// outside 32 to 64 characters, an invalid name, a SortBy that is not one of
// its values) is answered with ValidationException, as AWS's request
// validation does before the operation runs; the operation's own rules
// answer with the documented exceptions (InvalidParameterException,
// InvalidRequestException, InvalidNextTokenException, LimitExceededException,
// ResourceNotFoundException, ResourceExistsException), and the documented
// quotas hold (20 staging labels across a secret's versions, 50 tags, no
// aws: tag prefix; unlabelled versions past 100 and older than a day are
// removed). Where the reference leaves a case open, the emulator refuses
// rather than guesses: removing AWSCURRENT without moving it, or naming in
// RemoveFromVersionId a version that does not carry the label, fails with
// InvalidParameterException. SNS and STS likewise enforce their references'
// rules (topic names, endpoints per protocol, the 256 KB message size with
// its attributes, attribute names and types, filter policy constraints;
// AssumeRole's lengths, patterns and duration bounds, and the one-hour limit
// of role chaining). A feature the emulator cannot honour is refused, never
// accepted and ignored: session policies on AssumeRole, SMS, filtering on
// the message body.
//
// The conformance tests (*_conformance_test.go) hold one table per
// operation whose cases quote the rule of the API reference they check.
//
// # Identities and access
//
// Requests are identified by the access key id in their SigV4 Authorization
// header; signatures are not verified, but a request without one is rejected.
// An access key id the emulator did not issue is the account's administrator
// and may do everything, unless it was registered with [Server.AddAccessKey]
// as a principal of another (team) account, which may only call
// sts:AssumeRole and sts:GetCallerIdentity. Credentials issued by AssumeRole
// act as the role: they may call GetSecretValue and DescribeSecret on the
// role's ReadableSecrets and nothing else (GetCallerIdentity is always
// allowed, as in AWS).
//
// # SNS delivery
//
// Every subscription has an in-memory inbox that is filled, after its filter
// policy, before Publish returns; see [Server.Inbox]. Subscriptions with the
// http or https protocol must point at a loopback address and additionally
// receive the standard SNS notification envelope by HTTP POST, delivered
// asynchronously so that a slow subscriber never delays Publish. Because the
// endpoints are local and trusted, subscriptions are confirmed at once: no
// SubscriptionConfirmation message is sent.
//
// # Test support
//
// Tests can inspect secret versions and inboxes, inject faults ([Fault]:
// errors, latency, lost responses, reset connections) and read a log of calls
// ([Server.Calls]) that never contains a secret value.
package awsemu
