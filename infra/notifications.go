package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// subscriptionProtocols are the endpoints a team may subscribe: the ones that
// deliver over TLS or stay inside AWS. Plain HTTP and SMS are left out.
var subscriptionProtocols = []string{"sqs", "lambda", "email", "email-json", "https"}

// newNotificationTopic creates the topic the notify step publishes rotation
// events to. Each team's accounts may subscribe; messages carry the
// attributes "target" and "event" for the team's filter policy, and hold
// key ids and last4s only, never a key.
func (s *rotationStack) newNotificationTopic() awssns.Topic {
	topic := awssns.NewTopic(s.stack, jsii.String("Notifications"), &awssns.TopicProps{
		TopicName:   jsii.String(s.cfg.Prefix + "-notifications"),
		DisplayName: jsii.String("ddrotate rotation events"),
		MasterKey:   s.key,
		EnforceSSL:  jsii.Bool(true),
	})
	for _, target := range s.cfg.Targets {
		if target.IsAdmin() {
			continue
		}
		equals := map[string]any{"sns:Protocol": subscriptionProtocols}
		if target.OrganizationID != "" {
			equals["aws:PrincipalOrgID"] = target.OrganizationID
		}
		topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Principals: accountPrincipals(target.Accounts),
			Actions:    jsii.Strings("sns:Subscribe"),
			Resources:  jsii.Strings(*topic.TopicArn()),
			Conditions: &map[string]any{"StringEquals": equals},
		}))
	}
	return topic
}
