package localstack

import (
	"strings"

	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/iampolicy"
)

// Authorize implements awsemu.Authorizer over the template's policies: the
// caller role's identity-based policies, and the resource's own policy
// (secret resource policy, topic policy, role trust policy, key policy).
func (dep *Deployment) Authorize(r awsemu.AuthzRequest) awsemu.AuthzDecision {
	d := dep.decide(iampolicy.Request{
		Principal: iampolicy.Principal{ARN: r.PrincipalARN, SessionARN: r.SessionARN, Account: r.PrincipalAccount},
		Action:    r.Action,
		Resource:  r.Resource,
		Context:   r.Context,
	})
	return awsemu.AuthzDecision{Allowed: d.Allowed, Reason: d.Reason}
}

func (dep *Deployment) decide(r iampolicy.Request) iampolicy.Decision {
	ev := iampolicy.Evaluation{ResourceAccount: arnAccount(r.Resource)}
	if role, ok := dep.Roles[r.Principal.ARN]; ok {
		ev.Identity = role.Policies
	}
	switch {
	case strings.HasPrefix(r.Resource, "arn:aws:secretsmanager:"):
		for _, s := range dep.Secrets {
			if s.ARN == r.Resource {
				ev.Resource = s.Policy
			}
		}
	case strings.HasPrefix(r.Resource, "arn:aws:sns:"):
		if t, ok := dep.Topics[r.Resource]; ok {
			ev.Resource = t.Policy
		}
	case strings.HasPrefix(r.Resource, "arn:aws:iam:") && strings.EqualFold(r.Action, "sts:AssumeRole"):
		if role, ok := dep.Roles[r.Resource]; ok {
			ev.Resource = role.Trust
		}
		if ev.Resource == nil {
			// A role that is not in the template cannot be assumed.
			return iampolicy.Decision{Reason: "no resource-based policy allows the sts:AssumeRole action"}
		}
	case strings.HasPrefix(r.Resource, "arn:aws:kms:"):
		ev.KeyPolicy = true
		if k, ok := dep.Keys[dep.keyARN(r.Resource)]; ok {
			ev.Resource = k.Policy
			r.Resource = k.ARN
		}
	}
	return iampolicy.Decide(r, ev)
}

// authorizeRole decides an action a service takes with a role of the
// template (a state machine's role, a schedule's role).
func (dep *Deployment) authorizeRole(roleARN, sessionName, action, resource string, extra map[string][]string) iampolicy.Decision {
	ctx := map[string][]string{
		"aws:PrincipalArn":     {roleARN},
		"aws:PrincipalAccount": {dep.Account},
		"aws:PrincipalType":    {"AssumedRole"},
		"aws:RequestedRegion":  {dep.Region},
		"aws:SecureTransport":  {"true"},
	}
	for k, v := range extra {
		ctx[k] = v
	}
	if arnAccount(resource) == "" {
		resource = strings.TrimSpace(resource)
	}
	return dep.decide(iampolicy.Request{
		Principal: iampolicy.Principal{ARN: roleARN, SessionARN: sessionARN(roleARN, sessionName), Account: dep.Account},
		Action:    action, Resource: resource, Context: ctx,
	})
}

func sessionARN(roleARN, session string) string {
	i := strings.Index(roleARN, ":role/")
	if i < 0 {
		return roleARN
	}
	return strings.Replace(roleARN[:i], ":iam:", ":sts:", 1) + ":assumed-role/" + roleARN[i+len(":role/"):] + "/" + session
}

// arnAccount is the account field of an ARN, "" for "*" or a non-ARN.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
