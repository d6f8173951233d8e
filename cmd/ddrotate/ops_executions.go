package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ddrotate/ddrotate/shared/rotation"
)

// execInfo is one execution of the deployment's state machines, as the
// commands print it (-o json field names are the contract).
type execInfo struct {
	ExecutionARN string     `json:"executionArn"`
	Name         string     `json:"name"`
	StateMachine string     `json:"stateMachine"` // "rotate-target" or "rotate-fleet"
	Target       string     `json:"target"`       // "" for a fleet run
	Mode         string     `json:"mode"`
	Status       string     `json:"status"`
	StartDate    *time.Time `json:"startDate"`
	StopDate     *time.Time `json:"stopDate"`
	// Error is the typed error name (SecretError, RotationInProgressError,
	// States.Timeout, ...) and ErrorMessage its message, from the Cause.
	Error        string `json:"error"`
	ErrorMessage string `json:"errorMessage"`
	// StartedBy is the execution that started a rotate-target execution:
	// a fleet run's (for a Distributed Map, its map run's child
	// execution, <prefix>-rotate-fleet/<map state>:<id>).
	StartedBy string `json:"startedBy"`
	// ByFleet is set when a fleet run started it.
	ByFleet bool `json:"startedByFleetRun"`
}

func (x *execInfo) duration(now time.Time) time.Duration {
	if x.StartDate == nil {
		return 0
	}
	if x.StopDate != nil {
		return x.StopDate.Sub(*x.StartDate)
	}
	return now.Sub(*x.StartDate)
}

// outcome is the status and, for a failure, the error name.
func (x *execInfo) outcome() string {
	if x.Error != "" {
		return x.Status + " " + x.Error
	}
	return x.Status
}

// executionARNPattern is the shape of a Step Functions execution ARN; a
// Distributed Map's child executions name the map state after the state
// machine (<machine>/<map state>).
var executionARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:([A-Za-z0-9_-]{1,80})(?:/[^:]{1,80})?:([^:]{1,80})$`)

// machineOf returns the state machine name in an execution ARN.
func machineOf(executionARN string) string {
	if m := executionARNPattern.FindStringSubmatch(executionARN); m != nil {
		return m[1]
	}
	return ""
}

// machineLabel is how a machine is named in output: without the prefix.
func (d *deployment) machineLabel(machineName string) string {
	return strings.TrimPrefix(machineName, d.names.Prefix+"-")
}

// describe describes an execution (cached).
func (d *deployment) describe(ctx context.Context, arn string) (*execInfo, error) {
	if x, ok := d.execCache[arn]; ok && x.Status != string(sfntypes.ExecutionStatusRunning) {
		return x, nil
	}
	out, err := d.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	x := &execInfo{
		ExecutionARN: arn, Name: aws.ToString(out.Name), StateMachine: d.machineLabel(machineOf(arn)),
		Status: string(out.Status), StartDate: utc(out.StartDate), StopDate: utc(out.StopDate),
	}
	var in struct {
		Target    string `json:"target"`
		Mode      string `json:"mode"`
		StartedBy string `json:"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"`
	}
	if json.Unmarshal([]byte(aws.ToString(out.Input)), &in) == nil {
		x.Target, x.Mode, x.StartedBy = in.Target, in.Mode, in.StartedBy
		x.ByFleet = in.StartedBy != "" && machineOf(in.StartedBy) == d.names.RotateFleetMachineName()
		if x.Mode == "" && x.Target != "" {
			x.Mode = string(rotation.ModeScheduled) // ParseInput's default
		}
	}
	x.Error, x.ErrorMessage = typedError(aws.ToString(out.Error), aws.ToString(out.Cause))
	d.execCache[arn] = x
	return x, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil || t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// typedError turns an execution's (or a task's) Error and Cause into the
// typed error name and its message. A step's Cause is Lambda's error
// document, {"errorMessage": ..., "errorType": ...}: its message is what an
// operator reads, never the JSON.
func typedError(errName, cause string) (string, string) {
	if errName == "" && cause == "" {
		return "", ""
	}
	var doc struct {
		ErrorMessage *string `json:"errorMessage"`
		ErrorType    string  `json:"errorType"`
	}
	msg := strings.TrimSpace(cause)
	if json.Unmarshal([]byte(msg), &doc) == nil && doc.ErrorMessage != nil {
		msg = *doc.ErrorMessage
		if doc.ErrorType != "" && (errName == "" || strings.HasPrefix(errName, "States.") && doc.ErrorType != errName) {
			errName = doc.ErrorType
		}
	}
	return errName, rotation.Scrub(strings.Join(strings.Fields(msg), " "))
}

// listExecutions returns up to max executions of a state machine, newest
// first, without describing them.
func (d *deployment) listExecutions(ctx context.Context, machineARN string, max int) ([]sfntypes.ExecutionListItem, error) {
	var out []sfntypes.ExecutionListItem
	pages := sfn.NewListExecutionsPaginator(d.sfn, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineARN), MaxResults: int32(min(max, 1000))})
	for pages.HasMorePages() && len(out) < max {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the executions of %s: %w", machineARN[strings.LastIndex(machineARN, ":")+1:], err)
		}
		out = append(out, page.Executions...)
	}
	if len(out) > max {
		out = out[:max]
	}
	return out, nil
}

// scanLimit bounds how many recent rotate-target executions status and
// history describe to find each target's.
const scanLimit = 200

// lastExecutions finds the newest rotate-target execution of each named
// target among the scanLimit most recent ones.
func (d *deployment) lastExecutions(ctx context.Context, names []string) (map[string]*execInfo, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	found := map[string]*execInfo{}
	items, err := d.listExecutions(ctx, d.targetMachine, scanLimit)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if len(found) == len(want) {
			break
		}
		x, err := d.describe(ctx, aws.ToString(it.ExecutionArn))
		if err != nil {
			return nil, err
		}
		if want[x.Target] && found[x.Target] == nil {
			found[x.Target] = x
		}
	}
	return found, nil
}

// history returns all of an execution's events, oldest first.
func (d *deployment) history(ctx context.Context, arn string) ([]sfntypes.HistoryEvent, error) {
	var events []sfntypes.HistoryEvent
	pages := sfn.NewGetExecutionHistoryPaginator(d.sfn, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		events = append(events, page.Events...)
	}
	return events, nil
}

// stateRow is one state of an execution's timeline.
type stateRow struct {
	State           string  `json:"state"`
	DurationSeconds float64 `json:"durationSeconds"`
	// Outcome is ok, retried <n>, failed (its error caught), waiting,
	// running or stopped.
	Outcome string `json:"outcome"`
	// Errors are the typed errors the state's attempts failed with.
	Errors []string `json:"errors"`
	Detail string   `json:"detail"`
}

// timeline builds an execution's timeline from its history, as the demo
// prints it: each state with its duration, outcome and the key last4s it
// handled.
type timeline struct {
	rows     []stateRow
	open     int // index of the state running now, -1 if none
	entered  time.Time
	lastFail bool
	ended    bool
}

func newTimeline() *timeline { return &timeline{open: -1} }

// add takes the next event; it returns the rows that the event completed
// (or began, for a Wait or a Fail state) and are ready to print.
func (tl *timeline) add(ev sfntypes.HistoryEvent) []stateRow {
	typ := string(ev.Type)
	switch {
	case strings.HasSuffix(typ, "StateEntered") && ev.StateEnteredEventDetails != nil:
		name := aws.ToString(ev.StateEnteredEventDetails.Name)
		row := stateRow{State: name, Outcome: "running", Errors: []string{}}
		tl.rows = append(tl.rows, row)
		tl.open, tl.entered, tl.lastFail = len(tl.rows)-1, aws.ToTime(ev.Timestamp), false
		switch ev.Type {
		case sfntypes.HistoryEventTypeFailStateEntered:
			tl.rows[tl.open].Outcome = "failed"
			tl.open = -1
			return []stateRow{tl.rows[len(tl.rows)-1]}
		case sfntypes.HistoryEventTypeWaitStateEntered:
			// A wait worth telling: the grace period, a hold.
			if detail := waitDetail(name, aws.ToString(ev.StateEnteredEventDetails.Input), aws.ToTime(ev.Timestamp)); detail != "" {
				r := tl.rows[tl.open]
				r.Outcome, r.Detail = "waiting", detail
				return []stateRow{r}
			}
		}
	case ev.TaskFailedEventDetails != nil:
		tl.failed(aws.ToString(ev.TaskFailedEventDetails.Error), aws.ToString(ev.TaskFailedEventDetails.Cause))
	case ev.TaskTimedOutEventDetails != nil:
		tl.failed(aws.ToString(ev.TaskTimedOutEventDetails.Error), aws.ToString(ev.TaskTimedOutEventDetails.Cause))
	case ev.LambdaFunctionFailedEventDetails != nil:
		tl.failed(aws.ToString(ev.LambdaFunctionFailedEventDetails.Error), aws.ToString(ev.LambdaFunctionFailedEventDetails.Cause))
	case ev.TaskSucceededEventDetails != nil || ev.LambdaFunctionSucceededEventDetails != nil:
		tl.lastFail = false
	case strings.HasSuffix(typ, "StateExited") && ev.StateExitedEventDetails != nil:
		if tl.open < 0 {
			return nil
		}
		r := &tl.rows[tl.open]
		r.DurationSeconds = aws.ToTime(ev.Timestamp).Sub(tl.entered).Seconds()
		switch n := len(r.Errors); {
		case tl.lastFail:
			r.Outcome = "failed"
		case n > 0:
			r.Outcome = fmt.Sprintf("retried %d", n)
		default:
			r.Outcome = "ok"
		}
		if d := stateDetail(r.State, aws.ToString(ev.StateExitedEventDetails.Output)); d != "" {
			r.Detail = d
		}
		tl.open = -1
		return []stateRow{*r}
	case ev.Type == sfntypes.HistoryEventTypeExecutionSucceeded, ev.Type == sfntypes.HistoryEventTypeExecutionFailed,
		ev.Type == sfntypes.HistoryEventTypeExecutionAborted, ev.Type == sfntypes.HistoryEventTypeExecutionTimedOut:
		tl.ended = true
		if tl.open >= 0 && tl.rows[tl.open].Outcome == "running" {
			tl.rows[tl.open].Outcome = "stopped"
			return []stateRow{tl.rows[tl.open]}
		}
	}
	return nil
}

func (tl *timeline) failed(errName, cause string) {
	if tl.open < 0 {
		return
	}
	name, _ := typedError(errName, cause)
	tl.rows[tl.open].Errors = append(tl.rows[tl.open].Errors, name)
	tl.lastFail = true
}

// waitDetail says how long a Wait state of the rotation waits.
func waitDetail(state, input string, at time.Time) string {
	var in struct {
		Rotation *struct {
			GraceSeconds int `json:"graceSeconds"`
		} `json:"rotation"`
		Deleted *struct {
			Revoked struct {
				RecheckSeconds int `json:"recheckSeconds"`
			} `json:"revoked"`
		} `json:"deleted"`
	}
	_ = json.Unmarshal([]byte(input), &in)
	seconds := 0
	switch {
	case state == "GracePeriod" && in.Rotation != nil:
		seconds = in.Rotation.GraceSeconds
	case state == "HoldOldKey" && in.Deleted != nil:
		seconds = in.Deleted.Revoked.RecheckSeconds
	}
	if seconds == 0 {
		return ""
	}
	d := time.Duration(seconds) * time.Second
	return fmt.Sprintf("%s, until %s", d, formatTime(at.Add(d)))
}

// stateDetail picks the key ids' last4s out of a state's output.
func stateDetail(state, output string) string {
	var out struct {
		Rotation *struct {
			New          rotation.Keys `json:"new"`
			Old          rotation.Keys `json:"old"`
			GraceSeconds int           `json:"graceSeconds"`
		} `json:"rotation"`
		Deleted *struct {
			Revoked rotation.DeleteOldResult `json:"revoked"`
		} `json:"deleted"`
	}
	if json.Unmarshal([]byte(output), &out) != nil || out.Rotation == nil {
		return ""
	}
	r := out.Rotation
	switch state {
	case "Create":
		s := fmt.Sprintf("new API key …%s (old …%s)", r.New.APIKeyLast4, r.Old.APIKeyLast4)
		if r.New.AppKeyLast4 != "" {
			s += fmt.Sprintf(", new app key …%s (old …%s)", r.New.AppKeyLast4, r.Old.AppKeyLast4)
		}
		return s
	case "Store":
		return fmt.Sprintf("AWSCURRENT → …%s", r.New.APIKeyLast4)
	case "GracePeriod":
		return fmt.Sprintf("grace %s", time.Duration(r.GraceSeconds)*time.Second)
	case "DeleteOld":
		if out.Deleted == nil {
			return ""
		}
		res := out.Deleted.Revoked
		if res.Holding {
			var held []string
			for _, k := range res.Held {
				held = append(held, string(k.Type)+" …"+k.Last4)
			}
			return fmt.Sprintf("holding: %s still in use; looks again in %s", strings.Join(held, ", "), time.Duration(res.RecheckSeconds)*time.Second)
		}
		var ids []string
		for _, k := range res.Revoked {
			label := string(k.Type) + " " + shortID(k.ID)
			if k.Last4 != "" {
				label += " …" + k.Last4
			}
			ids = append(ids, label)
		}
		if len(ids) == 0 {
			return "nothing to revoke"
		}
		return "revoked " + strings.Join(ids, ", ")
	}
	return ""
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// terminal reports whether an execution status is final.
func terminal(status string) bool {
	return status != "" && status != string(sfntypes.ExecutionStatusRunning) && status != string(sfntypes.ExecutionStatusPendingRedrive)
}

// sortNewestFirst orders executions by start date, newest first.
func sortNewestFirst(xs []*execInfo) {
	slices.SortStableFunc(xs, func(a, b *execInfo) int {
		return aws.ToTime(b.StartDate).Compare(aws.ToTime(a.StartDate))
	})
}
