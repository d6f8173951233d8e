package iampolicy

import (
	"strings"
	"testing"
)

const acct = "000000000000"

func mustPolicy(t *testing.T, name, doc string) *Policy {
	t.Helper()
	p, err := Parse(name, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var role = Principal{ARN: "arn:aws:iam::" + acct + ":role/r", SessionARN: "arn:aws:sts::" + acct + ":assumed-role/r/s", Account: acct}

func TestIdentityPolicies(t *testing.T) {
	id := mustPolicy(t, "p", `{"Statement": [
		{"Effect": "Allow", "Action": ["secretsmanager:Get*", "secretsmanager:DescribeSecret"], "Resource": "arn:aws:secretsmanager:us-east-1:000000000000:secret:team/*"},
		{"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/frozen": "yes"}}},
		{"Effect": "Allow", "NotAction": "secretsmanager:*", "Resource": "*", "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}}
	]}`)
	cases := []struct {
		name     string
		action   string
		resource string
		ctx      map[string][]string
		allowed  bool
		reason   string
	}{
		{"wildcard action and resource", "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:000000000000:secret:team/a-AbCdEf", nil, true, ""},
		{"actions match case-insensitively", "SecretsManager:getsecretvalue", "arn:aws:secretsmanager:us-east-1:000000000000:secret:team/a-AbCdEf", nil, true, ""},
		{"resource outside the pattern", "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:000000000000:secret:other-AbCdEf", nil, false, "no identity-based policy allows the secretsmanager:GetSecretValue action"},
		{"explicit deny on a resource tag wins", "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:000000000000:secret:team/a-AbCdEf", map[string][]string{"aws:ResourceTag/frozen": {"yes"}}, false, "explicit deny"},
		{"condition key names are case-insensitive", "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:000000000000:secret:team/a-AbCdEf", map[string][]string{"AWS:resourcetag/frozen": {"yes"}}, false, "explicit deny"},
		{"NotAction with a StringLike condition", "kms:Decrypt", "arn:aws:kms:us-east-1:000000000000:key/k", map[string][]string{"kms:ViaService": {"secretsmanager.us-east-1.amazonaws.com"}}, true, ""},
		{"absent condition key does not match", "kms:Decrypt", "arn:aws:kms:us-east-1:000000000000:key/k", nil, false, "no identity-based policy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(Request{Principal: role, Action: c.action, Resource: c.resource, Context: c.ctx}, Evaluation{Identity: []*Policy{id}, ResourceAccount: acct})
			if d.Allowed != c.allowed || !strings.Contains(d.Reason, c.reason) {
				t.Fatalf("allowed %v (%s), want %v (%s)", d.Allowed, d.Reason, c.allowed, c.reason)
			}
		})
	}
}

func TestUnknownConditionKeyDeniesAndNamesIt(t *testing.T) {
	id := mustPolicy(t, "p", `{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:MultiFactorAuthAge": "1"}}}]}`)
	d := Decide(Request{Principal: role, Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:000000000000:t"}, Evaluation{Identity: []*Policy{id}, ResourceAccount: acct})
	if d.Allowed || d.Unsupported == nil || !strings.Contains(d.Reason, "aws:MultiFactorAuthAge") {
		t.Fatalf("decision %+v", d)
	}
	op := mustPolicy(t, "p", `{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringSoundsLike": {"aws:PrincipalArn": "x"}}}]}`)
	d = Decide(Request{Principal: role, Action: "sns:Publish", Resource: "*"}, Evaluation{Identity: []*Policy{op}})
	if d.Allowed || !strings.Contains(d.Reason, "StringSoundsLike") {
		t.Fatalf("unknown operator: %+v", d)
	}
}

func TestTrustPolicyAcrossAccounts(t *testing.T) {
	trust := mustPolicy(t, "trust", `{"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
		"Principal": {"AWS": "arn:aws:iam::111111111111:root"},
		"Condition": {"StringEquals": {"sts:ExternalId": "ext", "aws:PrincipalOrgID": "o-1"}}}]}`)
	team := Principal{ARN: "arn:aws:iam::111111111111:root", Account: "111111111111"}
	ok := map[string][]string{"sts:ExternalId": {"ext"}, "aws:PrincipalOrgID": {"o-1"}}
	if d := Decide(Request{Principal: team, Action: "sts:AssumeRole", Resource: "arn:aws:iam::000000000000:role/r", Context: ok}, Evaluation{Resource: trust, ResourceAccount: acct}); !d.Allowed {
		t.Fatalf("trusted account: %s", d.Reason)
	}
	wrong := map[string][]string{"sts:ExternalId": {"other"}, "aws:PrincipalOrgID": {"o-1"}}
	if d := Decide(Request{Principal: team, Action: "sts:AssumeRole", Resource: "arn:aws:iam::000000000000:role/r", Context: wrong}, Evaluation{Resource: trust, ResourceAccount: acct}); d.Allowed {
		t.Fatal("a wrong ExternalId was accepted")
	}
	other := Principal{ARN: "arn:aws:iam::222222222222:root", Account: "222222222222"}
	if d := Decide(Request{Principal: other, Action: "sts:AssumeRole", Resource: "arn:aws:iam::000000000000:role/r", Context: ok}, Evaluation{Resource: trust, ResourceAccount: acct}); d.Allowed || !strings.Contains(d.Reason, "no resource-based policy") {
		t.Fatalf("untrusted account: %+v", d)
	}
}

func TestKeyPolicyDelegatesToIAM(t *testing.T) {
	key := mustPolicy(t, "key", `{"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}}]}`)
	id := mustPolicy(t, "p", `{"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}`)
	req := Request{Principal: role, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:000000000000:key/k"}
	if d := Decide(req, Evaluation{Resource: key, KeyPolicy: true, ResourceAccount: acct}); d.Allowed {
		t.Fatal("a key policy naming the account granted a role with no IAM allow")
	}
	if d := Decide(req, Evaluation{Identity: []*Policy{id}, Resource: key, KeyPolicy: true, ResourceAccount: acct}); !d.Allowed {
		t.Fatalf("delegated to IAM: %s", d.Reason)
	}
	if d := Decide(req, Evaluation{Identity: []*Policy{id}, KeyPolicy: true, ResourceAccount: acct}); d.Allowed {
		t.Fatal("allowed without a key policy")
	}
}

func TestConditionOperators(t *testing.T) {
	ctx := map[string][]string{"aws:SecureTransport": {"true"}, "aws:EpochTime": {"100"}, "aws:SourceIp": {"127.0.0.1"}, "aws:TagKeys": {"a", "b"}}
	cases := map[string]bool{
		`{"Bool": {"aws:SecureTransport": "true"}}`:                               true,
		`{"Bool": {"aws:SecureTransport": "false"}}`:                              false,
		`{"NumericLessThan": {"aws:EpochTime": "200"}}`:                           true,
		`{"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}`:                          true,
		`{"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}}`:                      true, // absent key: negated operators hold
		`{"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-1"}}`:                 true,
		`{"Null": {"aws:PrincipalOrgID": "true"}}`:                                true,
		`{"ForAllValues:StringEquals": {"aws:RequestTag/x": ["a"]}}`:              true,
		`{"ForAnyValue:StringEquals": {"aws:RequestTag/x": ["a"]}}`:               false,
		`{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}`:              false,
		`{"StringLike": {"aws:SourceIp": "127.0.0.?"}}`:                           true,
		`{"NumericGreaterThanEquals": {"aws:EpochTime": "100"}}`:                  true,
		`{"DateLessThan": {"aws:EpochTime": "1970-01-01T00:02:00Z"}}`:             true,
		`{"StringEqualsIgnoreCase": {"aws:SecureTransport": "TRUE"}}`:             true,
		`{"ForAnyValue:StringLike": {"aws:RequestTag/y": ["*"]}}`:                 false,
		`{"StringNotLike": {"aws:SourceIp": "10.*"}}`:                             true,
		`{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}`:                        true,
		`{"NumericNotEquals": {"aws:EpochTime": "100"}}`:                          false,
		`{"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}}`:                  true,
		`{"StringEquals": {"aws:SecureTransport": ["false", "true"]}}`:            true,
		`{"ForAllValues:StringLike": {"aws:RequestTag/k": ["a*", "b"]}}`:          true,
		`{"BoolIfExists": {"aws:SecureTransport": "true"}}`:                       true,
		`{"StringNotEqualsIfExists": {"aws:SecureTransport": "true"}}`:            false,
		`{"NumericLessThanEquals": {"aws:EpochTime": "99"}}`:                      false,
		`{"DateGreaterThan": {"aws:EpochTime": "1970-01-01T00:00:00Z"}}`:          true,
		`{"StringLike": {"aws:SecureTransport": "t*e"}}`:                          true,
		`{"StringEquals": {"aws:SecureTransport": "true", "aws:EpochTime": "1"}}`: false,
	}
	for cond, want := range cases {
		p := mustPolicy(t, "p", `{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": `+cond+`}]}`)
		d := Decide(Request{Principal: role, Action: "sns:Publish", Resource: "*", Context: ctx}, Evaluation{Identity: []*Policy{p}})
		if d.Allowed != want {
			t.Errorf("%s: allowed %v, want %v (%s)", cond, d.Allowed, want, d.Reason)
		}
	}
}
