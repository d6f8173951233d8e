package awsemu

import (
	"encoding/xml"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// topic is an SNS topic with its subscriptions and everything published.
type topic struct {
	arn           string
	subscriptions []string // subscription ARNs, in subscription order
	published     []Message
	attrs         TopicAttributes
}

// subscription is one endpoint subscribed to a topic.
type subscription struct {
	arn         string
	topicARN    string
	protocol    string
	endpoint    string
	owner       string
	filter      filterPolicy // nil: every message
	rawDelivery bool
}

// Message is a message as published to a topic or received by a
// subscription.
type Message struct {
	MessageID       string
	TopicArn        string
	Subject         string
	Message         string
	Attributes      map[string]string // name → value; Binary values base64
	SubscriptionArn string            // empty in Published
}

// snsProtocols are the subscription protocols SNS accepts. Only http and
// https are delivered anywhere; every subscription also fills its inbox.
var snsProtocols = []string{"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}

var topicNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func snsInvalidParameter(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: "+format, args...)
}

func snsNotFound(what string) *apiError {
	return newAPIError(http.StatusNotFound, "NotFound", "%s does not exist", what)
}

func (s *Server) dispatchSNS(req *request) response {
	s.mu.Lock()
	var out any
	var err *apiError
	var deliveries []delivery
	switch req.action {
	case "CreateTopic":
		out, err = s.createTopic(req)
	case "Subscribe":
		out, err = s.subscribe(req)
	case "Unsubscribe":
		err = s.unsubscribe(req)
	case "ListSubscriptionsByTopic":
		out, err = s.listSubscriptionsByTopic(req)
	case "SetSubscriptionAttributes":
		err = s.setSubscriptionAttributes(req)
	case "Publish":
		out, deliveries, err = s.publish(req)
	case "ListTopics":
		out, err = s.listTopics(req)
	case "GetTopicAttributes":
		out, err = s.getTopicAttributes(req)
	}
	s.mu.Unlock()
	if err != nil {
		return queryErrorResponse(snsNamespace, req.id, err)
	}
	// HTTP deliveries start only after the state is released, so that a
	// subscriber calling back into the emulator cannot deadlock it.
	for _, d := range deliveries {
		s.deliver(d)
	}
	return queryResponse(snsNamespace, req.action, req.id, out)
}

type createTopicResult struct {
	XMLName  xml.Name `xml:"CreateTopicResult"`
	TopicArn string   `xml:"TopicArn"`
}

// createTopic is idempotent: creating an existing topic returns its ARN.
func (s *Server) createTopic(req *request) (any, *apiError) {
	name := req.form.Get("Name")
	if name == "" {
		return nil, snsInvalidParameter("Name")
	}
	if !topicNamePattern.MatchString(strings.TrimSuffix(name, ".fifo")) {
		return nil, snsInvalidParameter("Topic Name")
	}
	arn := "arn:aws:sns:" + s.opts.Region + ":" + s.opts.AccountID + ":" + name
	if _, ok := s.topics[arn]; !ok {
		s.topics[arn] = &topic{arn: arn}
	}
	return createTopicResult{TopicArn: arn}, nil
}

type subscribeResult struct {
	XMLName         xml.Name `xml:"SubscribeResult"`
	SubscriptionArn string   `xml:"SubscriptionArn"`
}

// subscribe adds a confirmed subscription: local HTTP endpoints are trusted,
// so no SubscriptionConfirmation handshake takes place. Subscribing the same
// endpoint twice returns the existing subscription, as SNS does.
func (s *Server) subscribe(req *request) (any, *apiError) {
	topicARN := req.form.Get("TopicArn")
	protocol := req.form.Get("Protocol")
	endpoint := req.form.Get("Endpoint")
	if topicARN == "" {
		return nil, snsInvalidParameter("TopicArn")
	}
	if protocol == "" {
		return nil, snsInvalidParameter("Protocol")
	}
	if !slices.Contains(snsProtocols, protocol) {
		return nil, snsInvalidParameter("Amazon SNS does not support this protocol string: %s", protocol)
	}
	if endpoint == "" {
		return nil, snsInvalidParameter("Endpoint")
	}
	if (protocol == "http" || protocol == "https") && !isLoopbackURL(endpoint, protocol) {
		return nil, snsInvalidParameter("Endpoint must be a %s URL on a loopback address in the emulator", protocol)
	}
	t, ok := s.topics[topicARN]
	if !ok {
		return nil, snsNotFound("Topic")
	}
	sub := &subscription{topicARN: topicARN, protocol: protocol, endpoint: endpoint, owner: req.caller.account}
	for name, value := range queryMap(req.form, "Attributes", "key", "value") {
		if err := sub.setAttribute(name, value); err != nil {
			return nil, err
		}
	}
	for _, arn := range t.subscriptions {
		if existing := s.subscriptions[arn]; existing.protocol == protocol && existing.endpoint == endpoint {
			return subscribeResult{SubscriptionArn: arn}, nil
		}
	}
	sub.arn = topicARN + ":" + newUUID()
	s.subscriptions[sub.arn] = sub
	t.subscriptions = append(t.subscriptions, sub.arn)
	return subscribeResult{SubscriptionArn: sub.arn}, nil
}

// isLoopbackURL reports whether endpoint is a URL of the given scheme whose
// host is localhost or a loopback IP: the emulator never sends messages off
// the machine.
func isLoopbackURL(endpoint, scheme string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != scheme {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// setAttribute validates and applies one subscription attribute.
func (sub *subscription) setAttribute(name, value string) *apiError {
	switch name {
	case "FilterPolicy":
		if value == "" {
			sub.filter = nil
			return nil
		}
		policy, err := parseFilterPolicy(value)
		if err != nil {
			return snsInvalidParameter("FilterPolicy: %v", err)
		}
		sub.filter = policy
	case "FilterPolicyScope":
		if value != "MessageAttributes" {
			return snsInvalidParameter("FilterPolicyScope: the emulator supports MessageAttributes only")
		}
	case "RawMessageDelivery":
		if value != "true" && value != "false" {
			return snsInvalidParameter("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
		sub.rawDelivery = value == "true"
	case "DeliveryPolicy", "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy":
		// Accepted for compatibility; they change nothing locally.
	default:
		return snsInvalidParameter("AttributeName")
	}
	return nil
}

func (s *Server) unsubscribe(req *request) *apiError {
	arn := req.form.Get("SubscriptionArn")
	if arn == "" {
		return snsInvalidParameter("SubscriptionArn")
	}
	sub, ok := s.subscriptions[arn]
	if !ok {
		return snsNotFound("Subscription")
	}
	delete(s.subscriptions, arn)
	if t, ok := s.topics[sub.topicARN]; ok {
		t.subscriptions = slices.DeleteFunc(t.subscriptions, func(a string) bool { return a == arn })
	}
	return nil
}

type subscriptionMember struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Protocol        string `xml:"Protocol"`
	Endpoint        string `xml:"Endpoint"`
	TopicArn        string `xml:"TopicArn"`
}

type listSubscriptionsByTopicResult struct {
	XMLName       xml.Name             `xml:"ListSubscriptionsByTopicResult"`
	Subscriptions []subscriptionMember `xml:"Subscriptions>member"`
	NextToken     string               `xml:"NextToken,omitempty"`
}

// snsPageSize is how many subscriptions SNS returns per page.
const snsPageSize = 100

func (s *Server) listSubscriptionsByTopic(req *request) (any, *apiError) {
	topicARN := req.form.Get("TopicArn")
	if topicARN == "" {
		return nil, snsInvalidParameter("TopicArn")
	}
	t, ok := s.topics[topicARN]
	if !ok {
		return nil, snsNotFound("Topic")
	}
	start, end, next, err := page(len(t.subscriptions), snsPageSize, req.form.Get("NextToken"))
	if err != nil {
		return nil, snsInvalidParameter("NextToken")
	}
	out := listSubscriptionsByTopicResult{NextToken: next}
	for _, arn := range t.subscriptions[start:end] {
		sub := s.subscriptions[arn]
		out.Subscriptions = append(out.Subscriptions, subscriptionMember{
			SubscriptionArn: sub.arn, Owner: sub.owner, Protocol: sub.protocol, Endpoint: sub.endpoint, TopicArn: sub.topicARN,
		})
	}
	return out, nil
}

func (s *Server) setSubscriptionAttributes(req *request) *apiError {
	arn := req.form.Get("SubscriptionArn")
	name := req.form.Get("AttributeName")
	if arn == "" {
		return snsInvalidParameter("SubscriptionArn")
	}
	if name == "" {
		return snsInvalidParameter("AttributeName")
	}
	sub, ok := s.subscriptions[arn]
	if !ok {
		return snsNotFound("Subscription")
	}
	// Apply to a copy so that an invalid value leaves the subscription as it was.
	updated := *sub
	if err := updated.setAttribute(name, req.form.Get("AttributeValue")); err != nil {
		return err
	}
	*sub = updated
	return nil
}
