package awsemu

import "testing"

func TestFilterPolicyMatching(t *testing.T) {
	str := func(v string) attributeValue { return attributeValue{dataType: "String", value: v} }
	tests := []struct {
		name   string
		policy string
		attrs  map[string]attributeValue
		want   bool
	}{
		{"exact match", `{"target":["team-a"]}`, map[string]attributeValue{"target": str("team-a")}, true},
		{"exact mismatch", `{"target":["team-a"]}`, map[string]attributeValue{"target": str("team-b")}, false},
		{"exact needs the attribute", `{"target":["team-a"]}`, nil, false},
		{"list of values is OR", `{"event":["rotated","rotation-failed"]}`, map[string]attributeValue{"event": str("rotation-failed")}, true},
		{"every key must match", `{"target":["team-a"],"event":["rotated"]}`,
			map[string]attributeValue{"target": str("team-a"), "event": str("old-key-revoked")}, false},
		{"every key matches", `{"target":["team-a"],"event":["rotated"]}`,
			map[string]attributeValue{"target": str("team-a"), "event": str("rotated")}, true},
		{"anything-but single", `{"event":[{"anything-but":"rotated"}]}`, map[string]attributeValue{"event": str("rotation-failed")}, true},
		{"anything-but excluded", `{"event":[{"anything-but":["rotated","old-key-revoked"]}]}`, map[string]attributeValue{"event": str("old-key-revoked")}, false},
		{"anything-but needs the attribute", `{"event":[{"anything-but":"rotated"}]}`, nil, false},
		{"anything-but prefix", `{"target":[{"anything-but":{"prefix":"team-"}}]}`, map[string]attributeValue{"target": str("admin")}, true},
		{"exists true", `{"target":[{"exists":true}]}`, map[string]attributeValue{"target": str("x")}, true},
		{"exists true absent", `{"target":[{"exists":true}]}`, nil, false},
		{"exists false absent", `{"target":[{"exists":false}]}`, map[string]attributeValue{"other": str("x")}, true},
		{"exists false present", `{"target":[{"exists":false}]}`, map[string]attributeValue{"target": str("x")}, false},
		{"prefix", `{"target":[{"prefix":"team-"}]}`, map[string]attributeValue{"target": str("team-z")}, true},
		{"number equality", `{"attempt":[3]}`, map[string]attributeValue{"attempt": {dataType: "Number", value: "3.0"}}, true},
		{"string array element", `{"targets":["team-b"]}`, map[string]attributeValue{"targets": {dataType: "String.Array", value: `["team-a","team-b"]`}}, true},
		{"binary never matches", `{"blob":[{"exists":true}]}`, map[string]attributeValue{"blob": {dataType: "Binary", value: "AA=="}}, false},
		{"custom string type", `{"target":["team-a"]}`, map[string]attributeValue{"target": {dataType: "String.team", value: "team-a"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			policy, err := parseFilterPolicy(tt.policy)
			if err != nil {
				t.Fatalf("parse %s: %v", tt.policy, err)
			}
			if got := policy.matches(tt.attrs); got != tt.want {
				t.Errorf("policy %s on %v = %v, want %v", tt.policy, tt.attrs, got, tt.want)
			}
		})
	}
}

func TestFilterPolicyRejectsInvalid(t *testing.T) {
	for _, policy := range []string{
		`not json`,
		`["team-a"]`,
		`{"target":"team-a"}`,
		`{"target":[]}`,
		`{"target":[true]}`,
		`{"target":[{"suffix":"a"}]}`,
		`{"target":[{"exists":"yes"}]}`,
		`{"target":[{"anything-but":[]}]}`,
		`{"target":[{"prefix":"a","exists":true}]}`,
	} {
		if _, err := parseFilterPolicy(policy); err == nil {
			t.Errorf("parseFilterPolicy(%s) accepted an invalid policy", policy)
		}
	}
}
