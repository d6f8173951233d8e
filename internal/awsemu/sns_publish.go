package awsemu

import (
	"cmp"
	"encoding/base64"
	"encoding/xml"
	"maps"
	"net/url"
	"strconv"
)

type publishResult struct {
	XMLName   xml.Name `xml:"PublishResult"`
	MessageID string   `xml:"MessageId"`
}

// publish records the message, fills the inbox of every subscription whose
// filter policy matches, and returns the HTTP deliveries to start.
func (s *Server) publish(req *request) (any, []delivery, *apiError) {
	topicARN := cmp.Or(req.form.Get("TopicArn"), req.form.Get("TargetArn"))
	message := req.form.Get("Message")
	subject := req.form.Get("Subject")
	if topicARN == "" {
		return nil, nil, snsInvalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	if message == "" {
		return nil, nil, snsInvalidParameter("Empty message")
	}
	if len(subject) > 100 {
		return nil, nil, snsInvalidParameter("Subject")
	}
	attrs, err := publishAttributes(req.form)
	if err != nil {
		return nil, nil, err
	}
	t, ok := s.topics[topicARN]
	if !ok {
		return nil, nil, snsNotFound("Topic")
	}

	msg := Message{MessageID: newUUID(), TopicArn: topicARN, Subject: subject, Message: message, Attributes: map[string]string{}}
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
		s.inboxes[arn] = append(s.inboxes[arn], received)
		if sub.protocol == "http" || sub.protocol == "https" {
			deliveries = append(deliveries, delivery{sub: *sub, msg: received, attrs: attrs, host: req.host})
		}
	}
	return publishResult{MessageID: msg.MessageID}, deliveries, nil
}

// publishAttributes reads MessageAttributes.entry.N.Name and .Value.{DataType,
// StringValue,BinaryValue}.
func publishAttributes(form url.Values) (map[string]attributeValue, *apiError) {
	attrs := map[string]attributeValue{}
	for _, n := range queryIndexes(form, "MessageAttributes.entry.") {
		base := "MessageAttributes.entry." + strconv.Itoa(n) + "."
		name := form.Get(base + "Name")
		dataType := form.Get(base + "Value.DataType")
		if name == "" {
			return nil, snsInvalidParameter("The message attribute name must not be empty")
		}
		if dataType == "" {
			return nil, snsInvalidParameter("The message attribute '%s' must contain non-empty message attribute type.", name)
		}
		value := form.Get(base + "Value.StringValue")
		switch baseType(dataType) {
		case "Binary":
			value = form.Get(base + "Value.BinaryValue")
			if _, err := base64.StdEncoding.DecodeString(value); err != nil {
				return nil, snsInvalidParameter("The message attribute '%s' has an invalid binary value.", name)
			}
		case "Number":
			if _, err := strconv.ParseFloat(value, 64); err != nil {
				return nil, snsInvalidParameter("The message attribute '%s' with type 'Number' must contain a numeric value.", name)
			}
		case "String", "String.Array":
		default:
			return nil, snsInvalidParameter("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		if value == "" {
			return nil, snsInvalidParameter("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, dataType)
		}
		attrs[name] = attributeValue{dataType: dataType, value: value}
	}
	return attrs, nil
}
