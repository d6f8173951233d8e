package awsemu

import (
	"encoding/xml"
	"maps"
	"sort"
	"strconv"
)

// TopicAttributes are the attributes a topic is created with by
// CreateTopicWith (as a CloudFormation AWS::SNS::Topic declares them).
type TopicAttributes struct {
	DisplayName    string
	KmsMasterKeyID string
	// Policy is the topic's access policy (JSON), as GetTopicAttributes
	// returns it. The Authorizer evaluates it; the emulator only keeps it.
	Policy string
}

// CreateTopicWith creates (or updates) the topic name with attrs and
// returns its ARN.
func (s *Server) CreateTopicWith(name string, attrs TopicAttributes) string {
	arn := "arn:aws:sns:" + s.opts.Region + ":" + s.opts.AccountID + ":" + name
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.topics[arn]
	if !ok {
		t = &topic{arn: arn, other: map[string]string{}, tags: map[string]string{}}
		s.topics[arn] = t
	}
	t.attrs = attrs
	return arn
}

type topicMember struct {
	TopicArn string `xml:"TopicArn"`
}

type listTopicsResult struct {
	XMLName   xml.Name      `xml:"ListTopicsResult"`
	Topics    []topicMember `xml:"Topics>member"`
	NextToken string        `xml:"NextToken,omitempty"`
}

// listTopics pages through the topics, 100 at a time, in ARN order.
func (s *Server) listTopics(req *request) (any, *apiError) {
	arns := make([]string, 0, len(s.topics))
	for arn := range s.topics {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	start, end, next, err := page(len(arns), snsPageSize, req.form.Get("NextToken"))
	if err != nil {
		return nil, snsInvalidParameter("NextToken")
	}
	out := listTopicsResult{NextToken: next}
	for _, arn := range arns[start:end] {
		out.Topics = append(out.Topics, topicMember{arn})
	}
	return out, nil
}

type attributeEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type getTopicAttributesResult struct {
	XMLName    xml.Name         `xml:"GetTopicAttributesResult"`
	Attributes []attributeEntry `xml:"Attributes>entry"`
}

func (s *Server) getTopicAttributes(req *request) (any, *apiError) {
	arn := req.form.Get("TopicArn")
	if err := checkTopicARN("TopicArn", arn); err != nil {
		return nil, err
	}
	t, ok := s.topics[arn]
	if !ok {
		return nil, snsNotFound("Topic")
	}
	confirmed := 0
	for _, sub := range t.subscriptions {
		if _, ok := s.subscriptions[sub]; ok {
			confirmed++
		}
	}
	attrs := map[string]string{
		"TopicArn":                t.arn,
		"Owner":                   s.opts.AccountID,
		"DisplayName":             t.attrs.DisplayName,
		"SubscriptionsConfirmed":  strconv.Itoa(confirmed),
		"SubscriptionsPending":    "0",
		"SubscriptionsDeleted":    "0",
		"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false}}`,
	}
	if t.attrs.KmsMasterKeyID != "" {
		attrs["KmsMasterKeyId"] = t.attrs.KmsMasterKeyID
	}
	if t.attrs.Policy != "" {
		attrs["Policy"] = t.attrs.Policy
	}
	maps.Copy(attrs, t.other)
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := getTopicAttributesResult{}
	for _, k := range keys {
		out.Attributes = append(out.Attributes, attributeEntry{k, attrs[k]})
	}
	return out, nil
}
