// Command fakeaudit stands in for a deployment's audit function in the
// CLI's tests: a Lambda named <prefix>-audit answering JSON findings.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

type finding struct {
	Target   string `json:"target"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

func main() {
	lambda.Start(func(ctx context.Context, in json.RawMessage) (any, error) {
		return map[string]any{
			"checked":  4,
			"findings": []finding{{Target: "payments", Severity: "warning", Message: "an unmanaged API key is named like the target's"}},
		}, nil
	})
}
