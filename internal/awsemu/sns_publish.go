package awsemu

import (
	"encoding/xml"
	"maps"
	"unicode/utf8"
)

type publishResult struct {
	XMLName   xml.Name `xml:"PublishResult"`
	MessageID string   `xml:"MessageId"`
}

// publish records the message, fills the inbox of every subscription whose
// filter policy matches, and returns the HTTP deliveries to start. The
// emulator publishes to topics only: a PhoneNumber or a TargetArn that is
// not a topic is refused.
func (s *Server) publish(req *request) (any, []delivery, *apiError) {
	form := req.form
	if form.Has("PhoneNumber") {
		return nil, nil, snsInvalidParameter("PhoneNumber Reason: the emulator does not send SMS")
	}
	topicARN, member := form.Get("TopicArn"), "TopicArn"
	if form.Get("TargetArn") != "" {
		if topicARN != "" {
			return nil, nil, snsInvalidParameter("TopicArn or TargetArn Reason: only one of TopicArn and TargetArn may be specified")
		}
		topicARN, member = form.Get("TargetArn"), "TargetArn"
	}
	if topicARN == "" {
		return nil, nil, snsInvalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	if err := checkTopicARN(member, topicARN); err != nil {
		return nil, nil, err
	}
	message := form.Get("Message")
	if message == "" {
		return nil, nil, snsInvalidParameter("Empty message")
	}
	if !utf8.ValidString(message) {
		return nil, nil, snsInvalidParameter("Message Reason: the message must be UTF-8 encoded")
	}
	if err := checkSubject(form); err != nil {
		return nil, nil, err
	}
	var bodies map[string]string
	switch structure := form.Get("MessageStructure"); {
	case !form.Has("MessageStructure"):
	case structure != "json":
		return nil, nil, snsInvalidParameter("MessageStructure Reason: the only valid value is json")
	default:
		var err *apiError
		if bodies, err = structuredMessage(message); err != nil {
			return nil, nil, err
		}
	}
	attrs, attrBytes, err := publishAttributes(form)
	if err != nil {
		return nil, nil, err
	}
	if len(message)+attrBytes > maxMessageBytes {
		return nil, nil, snsInvalidParameter("Message too long")
	}
	for _, member := range []string{"MessageGroupId", "MessageDeduplicationId"} {
		if form.Has(member) && !messageGroupIDPattern.MatchString(form.Get(member)) {
			return nil, nil, snsInvalidParameter("%s Reason: up to %d alphanumeric characters and punctuation", member, maxMessageGroupIDChars)
		}
	}
	t, ok := s.topics[topicARN]
	if !ok {
		return nil, nil, snsNotFound("Topic")
	}
	if t.fifo() {
		if !form.Has("MessageGroupId") {
			return nil, nil, snsInvalidParameter("The MessageGroupId parameter is required for FIFO topics")
		}
		if !form.Has("MessageDeduplicationId") && t.other["ContentBasedDeduplication"] != "true" {
			return nil, nil, snsInvalidParameter("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
	} else if form.Has("MessageDeduplicationId") {
		return nil, nil, snsInvalidParameter("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}

	msg := Message{MessageID: newUUID(), TopicArn: topicARN, Subject: form.Get("Subject"), Message: message, Attributes: map[string]string{}}
	for name, a := range attrs {
		msg.Attributes[name] = a.value
	}
	t.published = append(t.published, msg)
	var deliveries []delivery
	for _, arn := range t.subscriptions {
		sub := s.subscriptions[arn]
		if sub.filter != nil && !sub.filter.matches(attrs) {
			continue
		}
		received := msg
		received.Attributes = maps.Clone(msg.Attributes)
		received.SubscriptionArn = arn
		if bodies != nil {
			// "If you want to send different messages for each transport
			// protocol, set the value of the MessageStructure parameter to
			// json": each subscriber gets its protocol's message, or default.
			body, ok := bodies[sub.protocol]
			if !ok {
				body = bodies["default"]
			}
			received.Message = body
		}
		s.inboxes[arn] = append(s.inboxes[arn], received)
		if sub.protocol == "http" || sub.protocol == "https" {
			deliveries = append(deliveries, delivery{sub: *sub, msg: received, attrs: attrs, host: req.host})
		}
	}
	return publishResult{MessageID: msg.MessageID}, deliveries, nil
}
