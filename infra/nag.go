package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppressNag records, on the construct and its children, why a cdk-nag
// finding is accepted. appliesTo narrows a granular finding (IAM5) to the
// exact actions or resources that were reviewed, e.g.
// "Action::kms:GenerateDataKey*", so any other wildcard is still reported.
func suppressNag(construct constructs.IConstruct, ruleID, reason string, appliesTo ...string) {
	suppression := &cdknag.NagPackSuppression{Id: jsii.String(ruleID), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		findings := make([]any, len(appliesTo))
		for i, finding := range appliesTo {
			findings[i] = finding
		}
		suppression.AppliesTo = &findings
	}
	cdknag.NagSuppressions_AddResourceSuppressions(construct, &[]*cdknag.NagPackSuppression{suppression}, jsii.Bool(true))
}

// suppressNagInStack records why a cdk-nag finding is accepted for every
// resource of a stack, including those added to it later: a nested stack
// of a fleet holds hundreds of resources that share their findings, and one
// suppression per stack keeps its template small.
func suppressNagInStack(stack awscdk.Stack, ruleID, reason string, appliesTo ...string) {
	suppression := &cdknag.NagPackSuppression{Id: jsii.String(ruleID), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		findings := make([]any, len(appliesTo))
		for i, finding := range appliesTo {
			findings[i] = finding
		}
		suppression.AppliesTo = &findings
	}
	cdknag.NagSuppressions_AddStackSuppressions(stack, &[]*cdknag.NagPackSuppression{suppression}, jsii.Bool(false))
}

// executionsFinding is how cdk-nag names the executions ARN of a state
// machine in an IAM5 finding.
func executionsFinding(machineName string) string {
	return "Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:" + machineName + ":*"
}
