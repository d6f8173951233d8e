package localstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/awsemu"
)

// Step Functions on the AWS emulator's endpoint: the awsJson1.0 protocol,
// X-Amz-Target AWSStepFunctions.<Action>.
var sfnActions = map[string]bool{
	"ListStateMachines": true, "DescribeStateMachine": true, "StartExecution": true, "DescribeExecution": true,
	"GetExecutionHistory": true, "StopExecution": true, "ListExecutions": true, "DescribeStateMachineForExecution": true,
}

// epoch is a timestamp as awsJson encodes it: seconds since the epoch.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(time.Time(t).UnixMilli())/1000, 'f', 3, 64)), nil
}

func epochOf(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

func sfnError(status int, code, format string, args ...any) *awsemu.ServiceError {
	return &awsemu.ServiceError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func sfnValidation(format string, args ...any) *awsemu.ServiceError {
	return sfnError(http.StatusBadRequest, "ValidationException", format, args...)
}

var (
	stateMachineARN = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]{1,80}$`)
	executionARN    = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[A-Za-z0-9_-]{1,80}:.{1,80}$`)
)

// stepFunctions serves the Step Functions API over the stack's engine.
type stepFunctions struct {
	ls *Stack
}

func (sf *stepFunctions) service() awsemu.JSONService {
	return awsemu.JSONService{
		Name: "states", TargetPrefix: "AWSStepFunctions", ContentType: "application/x-amz-json-1.0",
		Actions: sfnActions, Handle: sf.handle,
	}
}

func (sf *stepFunctions) handle(call *awsemu.ServiceCall) (any, *awsemu.ServiceError) {
	var in map[string]any
	if len(call.Body) > 0 {
		if err := json.Unmarshal(call.Body, &in); err != nil {
			return nil, sfnError(http.StatusBadRequest, "SerializationException", "the request body is not valid JSON")
		}
	}
	get := func(k string) string { s, _ := in[k].(string); return s }
	switch call.Action {
	case "ListStateMachines":
		if err := call.Authorize("states:ListStateMachines", "*", nil); err != nil {
			return nil, err
		}
		return sf.listStateMachines(in)
	case "DescribeStateMachine":
		m, err := sf.machine(get("stateMachineArn"))
		if err != nil {
			return nil, err
		}
		if err := call.Authorize("states:DescribeStateMachine", m.ARN, nil); err != nil {
			return nil, err
		}
		return sf.describeStateMachine(m), nil
	case "StartExecution":
		return sf.startExecution(call, get("stateMachineArn"), get("name"), in["input"])
	case "DescribeExecution", "GetExecutionHistory", "StopExecution", "DescribeStateMachineForExecution":
		x, m, err := sf.execution(get("executionArn"))
		if err != nil {
			return nil, err
		}
		if err := call.Authorize("states:"+call.Action, x.ARN(), nil); err != nil {
			return nil, err
		}
		switch call.Action {
		case "DescribeExecution":
			if err := sf.kms(call, m, "kms:Decrypt"); err != nil {
				return nil, err
			}
			return describeExecution(x), nil
		case "GetExecutionHistory":
			if err := sf.kms(call, m, "kms:Decrypt"); err != nil {
				return nil, err
			}
			return executionHistory(x, in)
		case "DescribeStateMachineForExecution":
			d := sf.describeStateMachine(m)
			delete(d, "status")
			delete(d, "type")
			d["updateDate"] = d["creationDate"]
			delete(d, "creationDate")
			return d, nil
		default:
			if x.Status() == asl.StatusRunning {
				x.Stop(get("error"), get("cause"))
			} else {
				return nil, sfnValidation("Execution Does Not Exist or is not running: '%s'", x.ARN())
			}
			return map[string]any{"stopDate": epochOf(x.StopTime())}, nil
		}
	case "ListExecutions":
		m, err := sf.machine(get("stateMachineArn"))
		if err != nil {
			return nil, err
		}
		if err := call.Authorize("states:ListExecutions", m.ARN, nil); err != nil {
			return nil, err
		}
		return sf.listExecutions(m, in)
	}
	return nil, sfnError(http.StatusBadRequest, "UnknownOperationException", "unknown operation %s", call.Action)
}

// kms checks the KMS use a call on a state machine encrypted with a
// customer managed key implies, as Step Functions makes it on the
// caller's behalf.
func (sf *stepFunctions) kms(call *awsemu.ServiceCall, m *Machine, action string) *awsemu.ServiceError {
	if m.KMSKeyARN == "" {
		return nil
	}
	err := call.Authorize(action, m.KMSKeyARN, map[string][]string{
		"kms:ViaService": {"states." + sf.ls.Deployment.Region + ".amazonaws.com"},
		"kms:EncryptionContext:aws:states:stateMachineArn": {m.ARN},
		"kms:EncryptionContextKeys":                        {"aws:states:stateMachineArn"},
		"kms:CallerAccount":                                {call.Caller.Account},
	})
	if err != nil {
		err.Code = "KmsAccessDeniedException"
		err.Status = http.StatusBadRequest
	}
	return err
}

func (sf *stepFunctions) machine(arn string) (*Machine, *awsemu.ServiceError) {
	if arn == "" {
		return nil, sfnValidation("1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: Member must not be null")
	}
	if !stateMachineARN.MatchString(arn) {
		return nil, sfnError(http.StatusBadRequest, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	for _, m := range sf.ls.Deployment.Machines {
		if m.ARN == arn {
			return m, nil
		}
	}
	return nil, sfnError(http.StatusBadRequest, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
}

func (sf *stepFunctions) execution(arn string) (*asl.Execution, *Machine, *awsemu.ServiceError) {
	if arn == "" {
		return nil, nil, sfnValidation("1 validation error detected: Value null at 'executionArn' failed to satisfy constraint: Member must not be null")
	}
	if !executionARN.MatchString(arn) {
		return nil, nil, sfnError(http.StatusBadRequest, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	x, ok := sf.ls.Engine.Execution(arn)
	if !ok {
		return nil, nil, sfnError(http.StatusBadRequest, "ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
	}
	m, _ := sf.machine(x.StateMachineARN())
	return x, m, nil
}

func (sf *stepFunctions) describeStateMachine(m *Machine) map[string]any {
	d := map[string]any{
		"stateMachineArn": m.ARN, "name": m.Name, "status": "ACTIVE",
		"definition": substituted(m.Definition, m.Substitutions),
		"roleArn":    m.RoleARN, "type": m.Type, "creationDate": epochOf(m.Created),
	}
	if m.Logging != nil {
		d["loggingConfiguration"] = lowerKeys(m.Logging)
	}
	if m.Tracing != nil {
		d["tracingConfiguration"] = lowerKeys(m.Tracing)
	}
	if m.KMSKeyARN != "" {
		d["encryptionConfiguration"] = map[string]any{"kmsKeyId": m.KMSKeyARN, "type": "CUSTOMER_MANAGED_KMS_KEY", "kmsDataKeyReusePeriodSeconds": 300}
	}
	return d
}

// substituted applies DefinitionSubstitutions (${Name}) as
// CloudFormation does before it creates the state machine.
func substituted(def string, subs map[string]string) string {
	for k, v := range subs {
		def = strings.ReplaceAll(def, "${"+k+"}", v)
	}
	return def
}

// lowerKeys turns CloudFormation's PascalCase property names into the
// API's camelCase member names.
func lowerKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range t {
			out[strings.ToLower(k[:1])+k[1:]] = lowerKeys(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = lowerKeys(e)
		}
		return out
	case string:
		if t == "true" || t == "false" {
			return t == "true"
		}
	}
	return v
}

func pageBounds(in map[string]any, total, def int) (int, int, string, *awsemu.ServiceError) {
	maxResults := def
	if v, ok := in["maxResults"].(float64); ok && v > 0 {
		maxResults = int(v)
	}
	if maxResults > 1000 {
		return 0, 0, "", sfnValidation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", maxResults)
	}
	start := 0
	if tok, ok := in["nextToken"].(string); ok && tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "local-"))
		if err != nil || !strings.HasPrefix(tok, "local-") || n < 0 || n > total {
			return 0, 0, "", sfnError(http.StatusBadRequest, "InvalidToken", "Invalid Token: '%s'", tok)
		}
		start = n
	}
	end := min(start+maxResults, total)
	next := ""
	if end < total {
		next = "local-" + strconv.Itoa(end)
	}
	return start, end, next, nil
}

func (sf *stepFunctions) listStateMachines(in map[string]any) (any, *awsemu.ServiceError) {
	ms := sf.ls.Deployment.Machines
	start, end, next, err := pageBounds(in, len(ms), 100)
	if err != nil {
		return nil, err
	}
	items := []map[string]any{}
	for _, m := range ms[start:end] {
		items = append(items, map[string]any{"stateMachineArn": m.ARN, "name": m.Name, "type": m.Type, "creationDate": epochOf(m.Created)})
	}
	out := map[string]any{"stateMachines": items}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (sf *stepFunctions) startExecution(call *awsemu.ServiceCall, arn, name string, input any) (any, *awsemu.ServiceError) {
	m, err := sf.machine(arn)
	if err != nil {
		return nil, err
	}
	if err := call.Authorize("states:StartExecution", m.ARN, nil); err != nil {
		return nil, err
	}
	if err := sf.kms(call, m, "kms:GenerateDataKey"); err != nil {
		return nil, err
	}
	var text string
	switch v := input.(type) {
	case nil:
		text = "{}"
	case string:
		text = v
	default:
		return nil, sfnError(http.StatusBadRequest, "SerializationException", "input must be a string holding JSON")
	}
	if len(text) > 256*1024 {
		return nil, sfnError(http.StatusBadRequest, "InvalidExecutionInput", "The input exceeds the 262144 bytes limit")
	}
	x, serr := sf.ls.start(call.Context, m, name, []byte(text))
	if serr != nil {
		return nil, serr
	}
	return map[string]any{"executionArn": x.ARN(), "startDate": epochOf(x.StartTime())}, nil
}

// start starts an execution as StartExecution does, idempotent for a
// running execution of the same name and input.
func (ls *Stack) start(ctx interface{ Done() <-chan struct{} }, m *Machine, name string, input []byte) (*asl.Execution, *awsemu.ServiceError) {
	x, err := ls.Engine.Start(ls.ctx, m.ARN, name, input)
	switch {
	case err == nil:
		return x, nil
	case errors.Is(err, asl.ErrExecutionAlreadyExists):
		arn := strings.Replace(m.ARN, ":stateMachine:", ":execution:", 1) + ":" + name
		if prev, ok := ls.Engine.Execution(arn); ok && prev.Status() == asl.StatusRunning && sameJSON(prev.Input(), input) {
			return prev, nil
		}
		return nil, sfnError(http.StatusBadRequest, "ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	case errors.Is(err, asl.ErrInvalidName):
		return nil, sfnError(http.StatusBadRequest, "InvalidName", "Invalid Name: '%s'", name)
	case errors.Is(err, asl.ErrInvalidExecutionInput):
		return nil, sfnError(http.StatusBadRequest, "InvalidExecutionInput", "Invalid State Machine Execution Input: '%v'", err)
	case errors.Is(err, asl.ErrStateMachineDoesNotExist):
		return nil, sfnError(http.StatusBadRequest, "StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", m.ARN)
	}
	return nil, sfnError(http.StatusInternalServerError, "InternalFailure", "%v", err)
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

func describeExecution(x *asl.Execution) map[string]any {
	d := map[string]any{
		"executionArn": x.ARN(), "stateMachineArn": x.StateMachineARN(), "name": x.Name(),
		"status": string(x.Status()), "startDate": epochOf(x.StartTime()),
		"input": string(x.Input()), "inputDetails": map[string]any{"included": true},
	}
	if t := x.StopTime(); !t.IsZero() {
		d["stopDate"] = epochOf(t)
	}
	if x.Status() == asl.StatusSucceeded {
		d["output"] = string(x.Output())
		d["outputDetails"] = map[string]any{"included": true}
	}
	if e := x.Error(); e != "" {
		d["error"] = e
	}
	if c := x.Cause(); c != "" {
		d["cause"] = c
	}
	return d
}

func (sf *stepFunctions) listExecutions(m *Machine, in map[string]any) (any, *awsemu.ServiceError) {
	filter, _ := in["statusFilter"].(string)
	switch filter {
	case "", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE":
	default:
		return nil, sfnValidation("1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]", filter)
	}
	all := sf.ls.Engine.Executions()
	var xs []*asl.Execution
	for i := len(all) - 1; i >= 0; i-- { // newest first, as ListExecutions orders them
		x := all[i]
		if x.StateMachineARN() == m.ARN && (filter == "" || string(x.Status()) == filter) {
			xs = append(xs, x)
		}
	}
	start, end, next, err := pageBounds(in, len(xs), 100)
	if err != nil {
		return nil, err
	}
	items := []map[string]any{}
	for _, x := range xs[start:end] {
		it := map[string]any{"executionArn": x.ARN(), "stateMachineArn": m.ARN, "name": x.Name(), "status": string(x.Status()), "startDate": epochOf(x.StartTime())}
		if t := x.StopTime(); !t.IsZero() {
			it["stopDate"] = epochOf(t)
		}
		items = append(items, it)
	}
	out := map[string]any{"executions": items}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// executionHistory maps the executor's events onto GetExecutionHistory's
// HistoryEvent shape.
func executionHistory(x *asl.Execution, in map[string]any) (any, *awsemu.ServiceError) {
	events := x.History()
	includeData := true
	if v, ok := in["includeExecutionData"].(bool); ok {
		includeData = v
	}
	if rev, _ := in["reverseOrder"].(bool); rev {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	start, end, next, err := pageBounds(in, len(events), 100)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, ev := range events[start:end] {
		out = append(out, historyEvent(ev, includeData))
	}
	res := map[string]any{"events": out}
	if next != "" {
		res["nextToken"] = next
	}
	return res, nil
}

func historyEvent(ev asl.Event, includeData bool) map[string]any {
	e := map[string]any{"id": ev.ID, "type": ev.Type, "timestamp": epochOf(ev.Time)}
	if ev.ID > 1 {
		e["previousEventId"] = ev.ID - 1
	}
	data := func(d map[string]any, key string, v json.RawMessage) {
		if includeData && v != nil {
			d[key] = string(v)
			d[key+"Details"] = map[string]any{"truncated": false}
		}
	}
	d := map[string]any{}
	key := ""
	switch {
	case strings.HasSuffix(ev.Type, "StateEntered"):
		key = "stateEnteredEventDetails"
		d["name"] = ev.State
		data(d, "input", ev.Input)
	case strings.HasSuffix(ev.Type, "StateExited"):
		key = "stateExitedEventDetails"
		d["name"] = ev.State
		data(d, "output", ev.Output)
	case ev.Type == "ExecutionStarted":
		key = "executionStartedEventDetails"
		data(d, "input", ev.Input)
	case ev.Type == "ExecutionSucceeded":
		key = "executionSucceededEventDetails"
		data(d, "output", ev.Output)
	case ev.Type == "ExecutionFailed", ev.Type == "ExecutionAborted", ev.Type == "ExecutionTimedOut":
		key = "e" + strings.TrimPrefix(ev.Type, "E") + "EventDetails"
	case strings.HasPrefix(ev.Type, "Task"):
		key = "t" + strings.TrimPrefix(ev.Type, "T") + "EventDetails"
		d["resourceType"], d["resource"] = ev.ResourceType, ev.Resource
		switch ev.Type {
		case "TaskScheduled":
			if includeData {
				d["parameters"] = string(ev.Input)
			}
		case "TaskSucceeded", "TaskSubmitted":
			data(d, "output", ev.Output)
		}
	case strings.HasPrefix(ev.Type, "LambdaFunction"):
		key = "l" + strings.TrimPrefix(ev.Type, "L") + "EventDetails"
		switch ev.Type {
		case "LambdaFunctionScheduled":
			d["resource"] = ev.Resource
			data(d, "input", ev.Input)
		case "LambdaFunctionSucceeded":
			data(d, "output", ev.Output)
		}
	case strings.HasPrefix(ev.Type, "MapIteration"):
		key = "mapIteration" + strings.TrimPrefix(ev.Type, "MapIteration") + "EventDetails"
		d["name"], d["index"] = ev.State, ev.Index
	case ev.Type == "MapStateStarted":
		key = "mapStateStartedEventDetails"
	}
	if ev.Error != "" {
		d["error"] = ev.Error
	}
	if ev.Cause != "" {
		d["cause"] = ev.Cause
	}
	if key != "" && (len(d) > 0 || strings.HasPrefix(key, "execution")) {
		e[key] = d
	}
	return e
}
