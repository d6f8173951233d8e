package awsemu

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// SecretVersion is a copy of one version of a secret, for tests and
// invariant checks.
type SecretVersion struct {
	VersionID    string
	Stages       []string
	SecretString string
	Created      time.Time
}

// SecretARN returns the ARN of the secret named by secretID (name or ARN).
func (s *Server) SecretARN(secretID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.findSecret(secretID)
	if sec == nil {
		return "", fmt.Errorf("awsemu: no secret %q", secretID)
	}
	return sec.arn, nil
}

// SecretVersions returns every version of the secret (name or ARN), oldest
// first, deprecated ones included.
func (s *Server) SecretVersions(secretID string) ([]SecretVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.findSecret(secretID)
	if sec == nil {
		return nil, fmt.Errorf("awsemu: no secret %q", secretID)
	}
	out := make([]SecretVersion, 0, len(sec.order))
	for _, id := range sec.order {
		v := sec.versions[id]
		sv := SecretVersion{VersionID: v.id, Stages: slices.Clone(v.stages), Created: v.created}
		if v.secretString != nil {
			sv.SecretString = *v.secretString
		}
		out = append(out, sv)
	}
	return out, nil
}

// Inbox returns what the subscription received, after its filter policy,
// oldest first. It is complete as soon as Publish has returned, and stays
// readable after Unsubscribe.
func (s *Server) Inbox(subscriptionArn string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneMessages(s.inboxes[subscriptionArn])
}

// Published returns every message published to the topic, oldest first.
func (s *Server) Published(topicArn string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.topics[topicArn]; ok {
		return cloneMessages(t.published)
	}
	return nil
}

func cloneMessages(msgs []Message) []Message {
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		m.Attributes = maps.Clone(m.Attributes)
		out[i] = m
	}
	return out
}
