package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const auditAbout = `Runs the deployment's audit function (the Lambda <prefix>-audit) and prints its
JSON findings. A deployment without one (no version of ddrotate ships it yet)
is reported as such, exit 2.`

func auditCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	fs := newFlagSet("audit", "[flags]", auditAbout, stderr)
	c.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	d, err := connect(ctx, &c)
	if err != nil {
		return err
	}
	if err := d.findMachines(ctx); err != nil {
		return err
	}
	name := auditFunctionName(d.names.Prefix)
	if _, err := d.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}); err != nil {
		var nf *lambdatypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return refusef("deployment %s has no audit function (no Lambda named %s): auditing is not part of this deployment yet; "+
				"ddrotate status shows what each target holds", d.names.Prefix, name)
		}
		return fmt.Errorf("look up the audit function %s: %w", name, err)
	}
	res, err := d.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{}`)})
	if err != nil {
		return fmt.Errorf("invoke the audit function %s: %w", name, err)
	}
	if res.FunctionError != nil {
		errName, msg := typedError("", string(res.Payload))
		return fmt.Errorf("the audit function %s failed: %s: %s", name, errName, msg)
	}
	if !json.Valid(res.Payload) {
		return fmt.Errorf("the audit function %s answered something that is not JSON (%d bytes)", name, len(res.Payload))
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, res.Payload, "", "  "); err != nil {
		return err
	}
	pretty.WriteByte('\n')
	_, err = stdout.Write(pretty.Bytes())
	return err
}
