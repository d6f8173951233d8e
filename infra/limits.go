package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"

	"github.com/ddrotate/ddrotate/infra/templatelimits"
)

// assemblyLimits checks every template of an assembly, and every IAM role
// in them, against the CloudFormation and IAM limits that apply at deploy
// time, so that a synth that would fail to deploy fails now.
func assemblyLimits(assembly cxapi.CloudAssembly) error {
	stats, err := templatelimits.Stats(*assembly.Directory())
	if err != nil {
		return err
	}
	return templatelimits.Check(stats)
}
