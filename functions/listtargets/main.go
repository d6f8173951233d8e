// Command listtargets is the ddrotate step Lambda that lists the deployment's targets for a fleet run.
// It only wires the environment's settings and clients into the step's handler.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/lambdaenv"
)

func main() {
	lambda.Start(lambdaenv.MustHandler(deploy.StepListTargets))
}
