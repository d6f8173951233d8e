package iampolicy

import "errors"

// Evaluation is everything that decides one request.
type Evaluation struct {
	// Identity are the principal's identity-based policies (a role's
	// inline and attached policies). An account's root needs none: it may
	// do anything in its own account.
	Identity []*Policy
	// Resource is the resource's own policy (secret policy, topic policy,
	// role trust policy, KMS key policy), if it has one.
	Resource *Policy
	// ResourceAccount owns the resource; a principal of another account
	// needs both an identity-based and a resource-based allow.
	ResourceAccount string
	// KeyPolicy marks Resource as a KMS key policy: there, a statement
	// naming the account (its root) grants nothing by itself but lets IAM
	// policies grant, and without a key policy allow nothing is allowed.
	KeyPolicy bool
}

// Decision is the outcome of an evaluation.
type Decision struct {
	Allowed bool
	// Reason completes AWS's denial message "User: ... is not authorized
	// to perform: <action> on resource: <resource> because <Reason>".
	Reason string
	// Unsupported is set when a condition key or operator the evaluator
	// does not know decided the denial.
	Unsupported *UnsupportedError
}

// Decide evaluates r as AWS's policy evaluation logic does: an explicit
// deny anywhere wins; otherwise the request needs an allow from the
// identity-based or resource-based policies as the principal's and the
// resource's accounts require.
func Decide(r Request, ev Evaluation) Decision {
	deny := func(reason string) Decision { return Decision{Reason: reason} }
	unsupported := func(err error) Decision {
		var u *UnsupportedError
		errors.As(err, &u)
		return Decision{Reason: u.Error(), Unsupported: u}
	}

	// An account's root may do anything its own account's IAM could
	// grant; the local stack models other accounts by their roots only.
	identityAllows := r.Principal.IsRoot()
	for _, p := range ev.Identity {
		for i := range p.Statements {
			st := &p.Statements[i]
			if !st.applies(r) {
				continue
			}
			ok, err := st.conditionsHold(p.Name, r.Context)
			if err != nil {
				return unsupported(err)
			}
			if !ok {
				continue
			}
			if st.Effect == "Deny" {
				return deny("with an explicit deny in an identity-based policy: " + p.Name)
			}
			identityAllows = true
		}
	}

	resourceDirect, resourceAccount := false, false
	if ev.Resource != nil {
		for i := range ev.Resource.Statements {
			st := &ev.Resource.Statements[i]
			m := st.Principal.match(r.Principal)
			if st.NotPrincipal != nil {
				m = noMatch
				if st.NotPrincipal.match(r.Principal) == noMatch {
					m = directMatch
				}
			}
			if m == noMatch || !st.applies(r) {
				continue
			}
			ok, err := st.conditionsHold(ev.Resource.Name, r.Context)
			if err != nil {
				return unsupported(err)
			}
			if !ok {
				continue
			}
			if st.Effect == "Deny" {
				return deny("with an explicit deny in a resource-based policy")
			}
			if m == directMatch {
				resourceDirect = true
			} else {
				resourceAccount = true
			}
		}
	}
	sameAccount := r.Principal.Service != "" || r.Principal.Account == ev.ResourceAccount || ev.ResourceAccount == ""
	noIdentity := "no identity-based policy allows the " + r.Action + " action"
	noResource := "no resource-based policy allows the " + r.Action + " action"
	switch {
	case ev.KeyPolicy:
		// A statement naming the principal (or, for the root, its
		// account) grants; one naming the account delegates to IAM.
		if resourceDirect {
			return Decision{Allowed: true}
		}
		if !resourceAccount {
			return deny(noResource)
		}
		if identityAllows {
			return Decision{Allowed: true}
		}
		return deny(noIdentity)
	case r.Principal.Service != "":
		if resourceDirect || identityAllows {
			return Decision{Allowed: true}
		}
		return deny(noResource)
	case sameAccount:
		if identityAllows || resourceDirect {
			return Decision{Allowed: true}
		}
		return deny(noIdentity)
	default:
		if !resourceDirect && !resourceAccount {
			return deny(noResource)
		}
		if !identityAllows {
			return deny(noIdentity)
		}
		return Decision{Allowed: true}
	}
}
