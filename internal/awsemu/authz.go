package awsemu

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Authorizer decides the calls of principals whose permissions come from
// IAM policies rather than from the emulator's built-in model: sessions of
// roles added with PolicyControlled, and principals of other accounts
// (added with AddAccessKey) once an Authorizer is set.
type Authorizer interface {
	Authorize(AuthzRequest) AuthzDecision
}

// AuthzRequest is one authorization question.
type AuthzRequest struct {
	// PrincipalARN is the caller's IAM identity: the role ARN of a role
	// session, arn:aws:iam::<account>:root for an account's root.
	PrincipalARN string
	// SessionARN is the assumed-role ARN of a session.
	SessionARN       string
	PrincipalAccount string
	Action           string // service:Action, e.g. secretsmanager:GetSecretValue
	Resource         string // an ARN, or "*"
	// Context holds the request's condition keys: aws:* globals, the
	// resource's tags (aws:ResourceTag/..., secretsmanager:ResourceTag/...)
	// and the service's own keys.
	Context map[string][]string
}

// AuthzDecision is the answer.
type AuthzDecision struct {
	Allowed bool
	// Reason completes "... is not authorized to perform: <action> on
	// resource: <resource> because <Reason>".
	Reason string
}

// SetAuthorizer makes a an authority over policy-controlled principals.
func (s *Server) SetAuthorizer(a Authorizer) {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	s.authorizer = a
}

// SetAccountOrganization records that account belongs to the AWS
// Organization orgID, which requests of its principals report as
// aws:PrincipalOrgID.
func (s *Server) SetAccountOrganization(account, orgID string) {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	if s.accountOrgs == nil {
		s.accountOrgs = map[string]string{}
	}
	s.accountOrgs[account] = orgID
}

func (s *Server) authz() Authorizer {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	return s.authorizer
}

// SessionCredentials are temporary credentials of a role session.
type SessionCredentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	// ARN is the session's assumed-role ARN.
	ARN string
}

// IssueSession creates a session of the registered role roleARN without
// an AssumeRole call, as a service (Lambda, Step Functions) does for the
// role it runs under.
func (s *Server) IssueSession(roleARN, sessionName string, d time.Duration) (SessionCredentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	role, ok := s.roles[roleARN]
	if !ok {
		return SessionCredentials{}, fmt.Errorf("awsemu: no role %s", roleARN)
	}
	sess := &roleSession{
		role:         role,
		roleARN:      roleARN,
		sessionName:  sessionName,
		assumedID:    role.uniqueID + ":" + sessionName,
		arn:          "arn:aws:sts::" + s.opts.AccountID + ":assumed-role/" + role.Name + "/" + sessionName,
		sessionToken: rand.Text() + rand.Text() + rand.Text(),
		expires:      s.now().Add(d),
	}
	id := "ASIA" + randomString(upperAlnum, 16)
	s.sessions[id] = sess
	return SessionCredentials{AccessKeyID: id, SecretAccessKey: randomString(alnum, 40), SessionToken: sess.sessionToken, Expiration: sess.expires, ARN: sess.arn}, nil
}

// governed reports whether caller's access is decided by the Authorizer.
func (s *Server) governed(caller *principal) bool {
	if s.authz() == nil {
		return false
	}
	switch caller.kind {
	case teamPrincipal:
		return true
	case sessionPrincipal:
		return caller.session.role.PolicyControlled
	}
	return false
}

// baseContext holds the global condition keys of every request by caller.
func (s *Server) baseContext(caller *principal) map[string][]string {
	now := s.now().UTC()
	ctx := map[string][]string{
		"aws:PrincipalAccount": {caller.account},
		"aws:userid":           {caller.userID},
		"aws:CurrentTime":      {now.Format(time.RFC3339)},
		"aws:EpochTime":        {strconv.FormatInt(now.Unix(), 10)},
		"aws:RequestedRegion":  {s.opts.Region},
		"aws:SourceIp":         {"127.0.0.1"},
		// The emulator serves plain HTTP on loopback only; it stands for
		// the TLS endpoint the SDKs reach in AWS, so requests count as
		// secure transport.
		"aws:SecureTransport":       {"true"},
		"aws:PrincipalIsAWSService": {"false"},
	}
	if caller.kind == sessionPrincipal {
		ctx["aws:PrincipalArn"] = []string{caller.session.roleARN}
		ctx["aws:PrincipalType"] = []string{"AssumedRole"}
	} else {
		ctx["aws:PrincipalArn"] = []string{caller.arn}
		ctx["aws:PrincipalType"] = []string{"Account"}
	}
	s.obsMu.Lock()
	if org, ok := s.accountOrgs[caller.account]; ok {
		ctx["aws:PrincipalOrgID"] = []string{org}
	}
	s.obsMu.Unlock()
	return ctx
}

// authorizeCall asks the Authorizer about one action of req's caller, or
// allows it for the emulated account's root. The denial is worded as
// req's service words it.
func (s *Server) authorizeCall(req *request, action, resource string, extra map[string][]string) *apiError {
	caller := req.caller
	if !s.governed(caller) {
		if caller.kind == adminPrincipal {
			return nil
		}
		return accessDeniedBecause(req, caller, action, resource, "no identity-based policy allows the "+action+" action")
	}
	d := s.decide(caller, action, resource, extra)
	if d.Allowed {
		return nil
	}
	return accessDeniedBecause(req, caller, action, resource, d.Reason)
}

func (s *Server) decide(caller *principal, action, resource string, extra map[string][]string) AuthzDecision {
	ctx := s.baseContext(caller)
	for k, v := range extra {
		ctx[k] = v
	}
	r := AuthzRequest{PrincipalARN: caller.arn, PrincipalAccount: caller.account, Action: action, Resource: resource, Context: ctx}
	if caller.kind == sessionPrincipal {
		r.PrincipalARN, r.SessionARN = caller.session.roleARN, caller.arn
	}
	return s.authz().Authorize(r)
}

// authorizeBuiltin authorizes a Secrets Manager, SNS or STS call of a
// governed caller before it runs, with the resource it names and that
// resource's condition keys, plus the KMS use the call implies.
func (s *Server) authorizeBuiltin(req *request) *apiError {
	s.mu.Lock()
	resource, extra, kms := s.resourceOf(req)
	s.mu.Unlock()
	prefix := req.service
	if req.service == serviceSNS && req.action == "Unsubscribe" {
		// Only the subscription's owner or the topic's owner may delete an
		// authenticated (e.g. SQS) subscription; no policy is consulted.
		s.mu.Lock()
		sub, ok := s.subscriptions[req.form.Get("SubscriptionArn")]
		s.mu.Unlock()
		if !ok || sub.owner == req.caller.account || req.caller.account == s.opts.AccountID {
			return nil
		}
		return accessDeniedBecause(req, req.caller, "SNS:Unsubscribe", sub.arn, "only the subscription's owner or the topic's owner may delete it")
	}
	if req.service == serviceSNS {
		prefix = "SNS"
	}
	if err := s.authorizeCall(req, prefix+":"+req.action, resource, extra); err != nil {
		return err
	}
	if kms != nil {
		d := s.decide(req.caller, kms.action, kms.key, kms.context)
		if !d.Allowed {
			// Secrets Manager reports any KMS refusal with this one message.
			return newAPIError(http.StatusBadRequest, codeAccessDenied, "Access to KMS is not allowed")
		}
	}
	return nil
}

// kmsUse is the KMS call a service makes on the caller's behalf.
type kmsUse struct {
	action, key string
	context     map[string][]string
}

// resourceOf names the resource a built-in call acts on, with its
// condition keys. Callers hold s.mu.
func (s *Server) resourceOf(req *request) (string, map[string][]string, *kmsUse) {
	extra := map[string][]string{}
	switch req.service {
	case serviceSecretsManager:
		if req.action == "ListSecrets" {
			return "*", extra, nil
		}
		id := req.secretID
		sec := s.findSecret(id)
		if sec == nil {
			arn := id
			if !strings.HasPrefix(id, "arn:") {
				arn = "arn:aws:secretsmanager:" + s.opts.Region + ":" + s.opts.AccountID + ":secret:" + id
			}
			extra["secretsmanager:SecretId"] = []string{arn}
			return arn, extra, nil
		}
		extra["secretsmanager:SecretId"] = []string{sec.arn}
		for _, t := range sec.tags {
			extra["aws:ResourceTag/"+t.Key] = []string{t.Value}
			extra["secretsmanager:ResourceTag/"+t.Key] = []string{t.Value}
		}
		if req.action == "UpdateSecretVersionStage" {
			var in struct{ VersionStage string }
			_ = decodeJSONInput(req.body, &in)
			extra["secretsmanager:VersionStage"] = []string{in.VersionStage}
		}
		var use *kmsUse
		if sec.kmsKeyID != "" {
			kctx := map[string][]string{
				"kms:ViaService":                  {"secretsmanager." + s.opts.Region + ".amazonaws.com"},
				"kms:CallerAccount":               {req.caller.account},
				"kms:EncryptionContext:SecretARN": {sec.arn},
				"kms:EncryptionContextKeys":       {"SecretARN", "SecretVersionId"},
			}
			switch req.action {
			case "GetSecretValue":
				use = &kmsUse{"kms:Decrypt", sec.kmsKeyID, kctx}
			case "PutSecretValue":
				use = &kmsUse{"kms:GenerateDataKey", sec.kmsKeyID, kctx}
			}
		}
		return sec.arn, extra, use
	case serviceSNS:
		switch req.action {
		case "ListTopics":
			return "*", extra, nil
		case "CreateTopic":
			return "arn:aws:sns:" + s.opts.Region + ":" + s.opts.AccountID + ":" + req.form.Get("Name"), extra, nil
		case "Unsubscribe", "SetSubscriptionAttributes", "GetSubscriptionAttributes":
			if sub, ok := s.subscriptions[req.form.Get("SubscriptionArn")]; ok {
				return sub.topicARN, extra, nil
			}
			return req.form.Get("SubscriptionArn"), extra, nil
		case "Subscribe":
			extra["sns:Protocol"] = []string{req.form.Get("Protocol")}
			extra["sns:Endpoint"] = []string{req.form.Get("Endpoint")}
		}
		return req.form.Get("TopicArn"), extra, nil
	case serviceSTS:
		if v := req.form.Get("ExternalId"); v != "" {
			extra["sts:ExternalId"] = []string{v}
		}
		if v := req.form.Get("RoleSessionName"); v != "" {
			extra["sts:RoleSessionName"] = []string{v}
		}
		return req.form.Get("RoleArn"), extra, nil
	}
	return "*", extra, nil
}

// accessDeniedBecause is an authorization failure with AWS's reason
// clause, coded as each service codes it.
func accessDeniedBecause(req *request, caller *principal, action, resource, reason string) *apiError {
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because %s", caller.arn, action, resource, reason)
	switch req.service {
	case serviceSecretsManager:
		return newAPIError(http.StatusBadRequest, codeAccessDenied, "%s", msg)
	case serviceSTS:
		return newAPIError(http.StatusForbidden, "AccessDenied", "%s", msg)
	case serviceSNS:
		return newAPIError(http.StatusForbidden, "AuthorizationError", "%s", msg)
	default:
		return newAPIError(http.StatusForbidden, codeAccessDenied, "%s", msg)
	}
}
