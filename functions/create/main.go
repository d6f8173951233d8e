// Command create is the ddrotate step Lambda that takes a target's lock and stages its new Datadog key(s) as AWSPENDING.
// It only wires the environment's settings and clients into the step's handler.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/lambdaenv"
)

func main() {
	lambda.Start(lambdaenv.MustHandler(deploy.StepCreate))
}
