package awsemu

import (
	"encoding/json"
	"encoding/xml"
	"maps"
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
	// other holds the attributes CreateTopic set beyond attrs (FifoTopic,
	// ContentBasedDeduplication, DeliveryPolicy, ...), as given.
	other map[string]string
	tags  map[string]string
}

func (t *topic) fifo() bool { return t.other["FifoTopic"] == "true" }

// subscription is one endpoint subscribed to a topic.
type subscription struct {
	arn         string
	topicARN    string
	protocol    string
	endpoint    string
	owner       string
	filter      filterPolicy // nil: every message
	rawDelivery bool
	attrs       map[string]string // attributes as set, for Subscribe's comparison
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

// topicNamePattern is CreateTopic's constraint on Name: "uppercase and
// lowercase ASCII letters, numbers, underscores, and hyphens, and must be
// between 1 and 256 characters long. For a FIFO topic, the name must end
// with the .fifo suffix."
var (
	topicNamePattern     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	fifoTopicNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,251}\.fifo$`)
)

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

// createTopic creates a topic, or returns the ARN of the topic of that name
// ("This action is idempotent, so if the requester already owns a topic with
// the specified name, that topic's ARN is returned without creating a new
// topic"), unless the request names attributes or tags the existing topic
// does not have.
func (s *Server) createTopic(req *request) (any, *apiError) {
	name := req.form.Get("Name")
	if name == "" {
		return nil, snsInvalidParameter("Name Reason: cannot be empty")
	}
	attrs := queryMap(req.form, "Attributes", "key", "value")
	if err := validateTopicAttributes(attrs); err != nil {
		return nil, err
	}
	if attrs["FifoTopic"] == "true" {
		if !fifoTopicNamePattern.MatchString(name) {
			return nil, snsInvalidParameter("Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
		}
	} else if !topicNamePattern.MatchString(name) {
		return nil, snsInvalidParameter("Topic Name")
	}
	tags, err := topicTags(req.form)
	if err != nil {
		return nil, err
	}
	arn := "arn:aws:sns:" + s.opts.Region + ":" + s.opts.AccountID + ":" + name
	if t, ok := s.topics[arn]; ok {
		for k, v := range attrs {
			if t.attribute(k) != v {
				return nil, snsInvalidParameter("Attributes Reason: Topic already exists with different attributes")
			}
		}
		for k, v := range tags {
			if got, ok := t.tags[k]; !ok || got != v {
				return nil, snsInvalidParameter("Tags Reason: Topic already exists with different tags")
			}
		}
		return createTopicResult{TopicArn: arn}, nil
	}
	t := &topic{arn: arn, other: map[string]string{}, tags: tags}
	for k, v := range attrs {
		switch k {
		case "DisplayName":
			t.attrs.DisplayName = v
		case "KmsMasterKeyId":
			t.attrs.KmsMasterKeyID = v
		case "Policy":
			t.attrs.Policy = v
		default:
			t.other[k] = v
		}
	}
	s.topics[arn] = t
	return createTopicResult{TopicArn: arn}, nil
}

// attribute is the value of a topic attribute CreateTopic may set.
func (t *topic) attribute(name string) string {
	switch name {
	case "DisplayName":
		return t.attrs.DisplayName
	case "KmsMasterKeyId":
		return t.attrs.KmsMasterKeyID
	case "Policy":
		return t.attrs.Policy
	}
	return t.other[name]
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
	if err := checkTopicARN("TopicArn", topicARN); err != nil {
		return nil, err
	}
	if protocol == "" {
		return nil, snsInvalidParameter("Protocol Reason: no value for required parameter")
	}
	if !slices.Contains(snsProtocols, protocol) {
		return nil, snsInvalidParameter("Amazon SNS does not support this protocol string: %s", protocol)
	}
	if err := checkEndpoint(protocol, endpoint); err != nil {
		return nil, err
	}
	t, ok := s.topics[topicARN]
	if !ok {
		return nil, snsNotFound("Topic")
	}
	sub := &subscription{topicARN: topicARN, protocol: protocol, endpoint: endpoint, owner: req.caller.account, attrs: map[string]string{}}
	attrs := queryMap(req.form, "Attributes", "key", "value")
	for name, value := range attrs {
		if err := sub.setAttribute(name, value); err != nil {
			return nil, err
		}
	}
	// "Specifying a valid ARN for this attribute is required for Firehose
	// delivery stream subscriptions."
	if protocol == "firehose" && sub.attrs["SubscriptionRoleArn"] == "" {
		return nil, snsInvalidParameter("Attributes Reason: SubscriptionRoleArn is required for the firehose protocol")
	}
	for _, arn := range t.subscriptions {
		existing := s.subscriptions[arn]
		if existing.protocol != protocol || existing.endpoint != endpoint {
			continue
		}
		for name, value := range attrs {
			if existing.attrs[name] != value {
				return nil, snsInvalidParameter("Attributes Reason: Subscription already exists with different attributes")
			}
		}
		return subscribeResult{SubscriptionArn: arn}, nil
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

// setAttribute validates and applies one subscription attribute: the names
// Subscribe and SetSubscriptionAttributes document, with the values their
// descriptions allow.
func (sub *subscription) setAttribute(name, value string) *apiError {
	switch name {
	case "FilterPolicy":
		if value == "" {
			sub.filter = nil
			break
		}
		policy, err := parseFilterPolicy(value)
		if err != nil {
			return snsInvalidParameter("FilterPolicy: %v", err)
		}
		sub.filter = policy
	case "FilterPolicyScope":
		if value == "MessageBody" {
			return snsInvalidParameter("FilterPolicyScope: the emulator filters on MessageAttributes only")
		}
		if value != "MessageAttributes" {
			return snsInvalidParameter("FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", value)
		}
	case "RawMessageDelivery":
		if value != "true" && value != "false" {
			return snsInvalidParameter("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
		// "When set to true, enables raw message delivery to Amazon SQS or
		// HTTP/S endpoints" (and Firehose, per the Firehose fanout guide).
		if value == "true" && !slices.Contains([]string{"sqs", "http", "https", "firehose"}, sub.protocol) {
			return snsInvalidParameter("Attributes Reason: Delivery protocol [%s] does not support raw message delivery.", sub.protocol)
		}
		sub.rawDelivery = value == "true"
	case "DeliveryPolicy", "RedrivePolicy", "ReplayPolicy":
		// Accepted for compatibility (they change nothing locally), but
		// they must be policies: JSON objects.
		var doc map[string]any
		if value != "" && json.Unmarshal([]byte(value), &doc) != nil {
			return snsInvalidParameter("%s: not a valid JSON object", name)
		}
	case "SubscriptionRoleArn":
		// "The following attribute applies only to Amazon Data Firehose
		// delivery stream subscriptions".
		if sub.protocol != "firehose" {
			return snsInvalidParameter("Attributes Reason: SubscriptionRoleArn applies only to firehose subscriptions")
		}
		if !strings.HasPrefix(value, "arn:aws") || !strings.Contains(value, ":iam::") || !strings.Contains(value, ":role/") {
			return snsInvalidParameter("Attributes Reason: SubscriptionRoleArn must be an IAM role ARN")
		}
	default:
		return snsInvalidParameter("AttributeName")
	}
	if sub.attrs == nil {
		sub.attrs = map[string]string{}
	}
	sub.attrs[name] = value
	return nil
}

func (s *Server) unsubscribe(req *request) *apiError {
	arn := req.form.Get("SubscriptionArn")
	if err := checkSubscriptionARN(arn); err != nil {
		return err
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
	if err := checkTopicARN("TopicArn", topicARN); err != nil {
		return nil, err
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
	if err := checkSubscriptionARN(arn); err != nil {
		return err
	}
	if name == "" {
		return snsInvalidParameter("AttributeName Reason: no value for required parameter")
	}
	sub, ok := s.subscriptions[arn]
	if !ok {
		return snsNotFound("Subscription")
	}
	// Apply to a copy so that an invalid value leaves the subscription as it was.
	updated := *sub
	updated.attrs = maps.Clone(sub.attrs)
	if err := updated.setAttribute(name, req.form.Get("AttributeValue")); err != nil {
		return err
	}
	*sub = updated
	return nil
}
