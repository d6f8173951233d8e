package awsemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// deliveryTimeout bounds one HTTP delivery, so that a stuck subscriber
// cannot hold a goroutine (or Close) for long.
const deliveryTimeout = 5 * time.Second

// delivery is one message to POST to one http(s) subscription.
type delivery struct {
	sub   subscription // a copy: the subscription may change or go meanwhile
	msg   Message
	attrs map[string]attributeValue
	host  string // where the publisher reached the emulator, for UnsubscribeURL
}

// deliverer runs SNS HTTP deliveries in the background so that Publish never
// waits for a subscriber, and lets Close wait for the ones in flight.
type deliverer struct {
	client *http.Client
	logger *slog.Logger

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

func newDeliverer(logger *slog.Logger) *deliverer {
	ctx, cancel := context.WithCancel(context.Background())
	return &deliverer{client: &http.Client{Timeout: deliveryTimeout}, logger: logger, ctx: ctx, cancel: cancel}
}

// close cancels deliveries in flight, waits for them, and refuses new ones.
func (d *deliverer) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
}

// deliver POSTs the message to the subscription's endpoint in the
// background. Failures are logged, not retried: the inbox already holds the
// message for tests, and a local subscriber that is down is a test's concern.
func (s *Server) deliver(dl delivery) {
	d := s.deliverer
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := d.post(dl); err != nil {
			d.logger.Warn("awsemu: SNS delivery failed", "subscription", dl.sub.arn, "err", err)
		}
	}()
}

func (d *deliverer) post(dl delivery) error {
	body := []byte(dl.msg.Message)
	if !dl.sub.rawDelivery {
		var err error
		if body, err = json.Marshal(notificationEnvelope(dl)); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(d.ctx, deliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.sub.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
	req.Header.Set("x-amz-sns-message-type", "Notification")
	req.Header.Set("x-amz-sns-message-id", dl.msg.MessageID)
	req.Header.Set("x-amz-sns-topic-arn", dl.msg.TopicArn)
	req.Header.Set("x-amz-sns-subscription-arn", dl.sub.arn)
	if dl.sub.rawDelivery {
		req.Header.Set("x-amz-sns-rawdelivery", "true")
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("subscriber answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// snsEnvelope is the JSON document SNS POSTs to http(s) subscribers.
type snsEnvelope struct {
	Type              string                       `json:"Type"`
	MessageID         string                       `json:"MessageId"`
	TopicArn          string                       `json:"TopicArn"`
	Subject           string                       `json:"Subject,omitempty"`
	Message           string                       `json:"Message"`
	Timestamp         string                       `json:"Timestamp"`
	SignatureVersion  string                       `json:"SignatureVersion"`
	Signature         string                       `json:"Signature"`
	SigningCertURL    string                       `json:"SigningCertURL"`
	UnsubscribeURL    string                       `json:"UnsubscribeURL"`
	MessageAttributes map[string]envelopeAttribute `json:"MessageAttributes,omitempty"`
}

type envelopeAttribute struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// notificationEnvelope builds the standard notification. The signature is a
// placeholder: subscribers in local mode must not verify it.
func notificationEnvelope(dl delivery) snsEnvelope {
	env := snsEnvelope{
		Type:             "Notification",
		MessageID:        dl.msg.MessageID,
		TopicArn:         dl.msg.TopicArn,
		Subject:          dl.msg.Subject,
		Message:          dl.msg.Message,
		Timestamp:        time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		SignatureVersion: "1",
		Signature:        "EMULATOR",
		SigningCertURL:   "http://" + dl.host + "/SimpleNotificationService-emulator.pem",
		UnsubscribeURL:   "http://" + dl.host + "/?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(dl.sub.arn),
	}
	if len(dl.attrs) > 0 {
		env.MessageAttributes = map[string]envelopeAttribute{}
		for name, a := range dl.attrs {
			env.MessageAttributes[name] = envelopeAttribute{Type: a.dataType, Value: a.value}
		}
	}
	return env
}
