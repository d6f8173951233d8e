package main

import (
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// subscriptionProtocols are the endpoints a team may subscribe: the ones that
// deliver over TLS or stay inside AWS. Plain HTTP and SMS are left out.
var subscriptionProtocols = []string{"sqs", "lambda", "email", "email-json", "https"}

// newNotificationTopic creates the topic the notify step publishes rotation
// events to. Every team account may subscribe; messages carry the
// attributes "target" and "event" for the team's filter policy, and hold
// key ids and last4s only, never a key. The policy has one statement per
// organization the teams subscribe from, listing their accounts
// (aws:PrincipalAccount), so it grows with the number of team accounts and
// not with the number of targets.
func (s *rotationStack) newNotificationTopic() awssns.Topic {
	topic := awssns.NewTopic(s.stack, jsii.String("Notifications"), &awssns.TopicProps{
		TopicName:   jsii.String(s.cfg.Prefix + "-notifications"),
		DisplayName: jsii.String("ddrotate rotation events"),
		MasterKey:   s.key,
		EnforceSSL:  jsii.Bool(true),
	})
	subscribers := deploy.SubscriberAccounts(s.cfg)
	for _, org := range slices.Sorted(maps.Keys(subscribers)) {
		equals := map[string]any{
			"sns:Protocol":         subscriptionProtocols,
			"aws:PrincipalAccount": subscribers[org],
		}
		if org != "" {
			equals["aws:PrincipalOrgID"] = org
		}
		topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
			Actions:    jsii.Strings("sns:Subscribe"),
			Resources:  jsii.Strings(*topic.TopicArn()),
			Conditions: &map[string]any{"StringEquals": equals},
		}))
	}
	return topic
}
