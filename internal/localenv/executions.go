package localenv

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// engineExecutions answers the one Step Functions call the steps make
// (DescribeExecution: its status, state machine and input) from the local
// executor, as the real service would.
type engineExecutions struct{ engine *asl.Engine }

var _ rotation.ExecutionsAPI = engineExecutions{}

func (x engineExecutions) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	exec, ok := x.engine.Execution(aws.ToString(in.ExecutionArn))
	if !ok {
		return nil, &sfntypes.ExecutionDoesNotExist{Message: aws.String("Execution Does Not Exist: '" + aws.ToString(in.ExecutionArn) + "'")}
	}
	return &sfn.DescribeExecutionOutput{
		ExecutionArn:    in.ExecutionArn,
		StateMachineArn: aws.String(exec.StateMachineARN()),
		Status:          sfntypes.ExecutionStatus(exec.Status()),
		Input:           aws.String(string(exec.Input())),
	}, nil
}
