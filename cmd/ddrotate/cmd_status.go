package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

// targetStatus is one target in `ddrotate status -o json`.
type targetStatus struct {
	Target          string      `json:"target"`
	Kind            string      `json:"kind"`
	SecretARN       string      `json:"secretArn"`
	APIKeyID        string      `json:"apiKeyId"`
	APIKeyLast4     string      `json:"apiKeyLast4"`
	AppKeyID        string      `json:"appKeyId"`
	AppKeyLast4     string      `json:"appKeyLast4"`
	KeyName         string      `json:"keyName"`
	RotatedAt       *time.Time  `json:"rotatedAt"`
	RotatedBy       string      `json:"rotatedBy"` // the executionId in the secret
	KeyAgeSeconds   *int64      `json:"keyAgeSeconds"`
	NextDue         *time.Time  `json:"nextDue"`
	NextDueNote     string      `json:"nextDueNote"`
	GraceSeconds    *int        `json:"gracePeriodSeconds"`
	MaxGraceSeconds *int        `json:"maxGracePeriodSeconds"`
	Lock            *lockStatus `json:"lock"`
	LastExecution   *execInfo   `json:"lastExecution"`
	// Problem says why the current credential could not be read.
	Problem string `json:"problem"`
}

// lockStatus is the AWSPENDING label of a target's secret: the lock an
// execution holds while it builds the new credential.
type lockStatus struct {
	VersionID       string `json:"versionId"`
	ExecutionARN    string `json:"executionArn"`
	ExecutionStatus string `json:"executionStatus"`
	// Stale is set when the holder is no longer running: the next
	// rotation of the target cleans its leftovers up.
	Stale bool `json:"stale"`
}

// scheduleInfo is the deployment's schedule rule.
type scheduleInfo struct {
	Rule       string `json:"rule"`
	Expression string `json:"expression"`
	State      string `json:"state"`
	// Targets are the targets the rule's input names, nil when it names
	// none (the fleet run then rotates every target).
	Targets []string `json:"targets"`
	Mode    string   `json:"mode"`
	// Problem says why the schedule is unknown.
	Problem string `json:"problem"`
}

type deploymentInfo struct {
	Prefix              string        `json:"prefix"`
	SecretPrefix        string        `json:"secretPrefix"`
	Region              string        `json:"region"`
	RotateTargetMachine string        `json:"rotateTargetStateMachineArn"`
	RotateFleetMachine  string        `json:"rotateFleetStateMachineArn"`
	Schedule            *scheduleInfo `json:"schedule"`
}

type statusOutput struct {
	Deployment deploymentInfo `json:"deployment"`
	Targets    []targetStatus `json:"targets"`
}

const statusAbout = `Shows each target: its kind, its current API key (and application key) id and
last4, when it was rotated, its age, when the schedule next rotates it, its lock
(the execution holding AWSPENDING) and its last execution. No key value is ever
printed.`

func statusCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	fs := newFlagSet("status", "[--target T] [flags]", statusAbout, stderr)
	only := fs.String("target", "", "show only this target, in detail")
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
	targets, err := d.targets(ctx)
	if err != nil {
		return err
	}
	if *only != "" {
		t, err := d.findTarget(targets, *only)
		if err != nil {
			return err
		}
		targets = []target{t}
	}
	sched := d.schedule(ctx)
	out := statusOutput{Deployment: d.info(sched), Targets: []targetStatus{}}
	var names []string
	for _, t := range targets {
		names = append(names, t.Name)
	}
	last, err := d.lastExecutions(ctx, names)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	for _, t := range targets {
		st, err := d.targetStatus(ctx, t, sched, now)
		if err != nil {
			return err
		}
		st.LastExecution = last[t.Name]
		if st.LastExecution == nil && st.RotatedBy != "" {
			// Older than the executions scanned: the one that made the
			// current credential.
			if x, err := d.describe(ctx, st.RotatedBy); err == nil {
				st.LastExecution = x
			}
		}
		out.Targets = append(out.Targets, st)
	}
	if c.json() {
		return writeJSON(stdout, out)
	}
	if *only != "" {
		return printTargetDetail(stdout, out, now)
	}
	return printStatusTable(stdout, out, now)
}

func (d *deployment) info(s *scheduleInfo) deploymentInfo {
	return deploymentInfo{Prefix: d.names.Prefix, SecretPrefix: d.names.SecretPrefix, Region: d.region,
		RotateTargetMachine: d.targetMachine, RotateFleetMachine: d.fleetMachine, Schedule: s}
}

// schedule reads the schedule rule and what it starts; a rule it cannot
// read is reported, not fatal.
func (d *deployment) schedule(ctx context.Context) *scheduleInfo {
	s := &scheduleInfo{Rule: scheduleRuleName(d.names.Prefix)}
	rule, err := d.events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(s.Rule)})
	if err != nil {
		var nf *evtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			s.Problem = "the deployment has no schedule rule " + s.Rule
		} else {
			s.Problem = "cannot read the schedule rule: " + firstLine(err.Error())
		}
		return s
	}
	s.Expression, s.State = aws.ToString(rule.ScheduleExpression), string(rule.State)
	tg, err := d.events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(s.Rule)})
	if err != nil {
		s.Problem = "cannot read the schedule rule's targets: " + firstLine(err.Error())
		return s
	}
	for _, t := range tg.Targets {
		if d.fleetMachine == "" || aws.ToString(t.Arn) != d.fleetMachine {
			continue
		}
		var in struct {
			Mode    string   `json:"mode"`
			Targets []string `json:"targets"`
		}
		if json.Unmarshal([]byte(aws.ToString(t.Input)), &in) == nil {
			s.Mode, s.Targets = in.Mode, in.Targets
		}
	}
	if s.Mode == "" {
		s.Mode = string(rotation.ModeScheduled)
	}
	return s
}

// active reports whether the schedule starts runs.
func (s *scheduleInfo) active() bool {
	return s != nil && s.Problem == "" && s.Expression != "" && s.State == string(evtypes.RuleStateEnabled)
}

// nextDue says when the schedule next rotates a target rotated at
// rotatedAt.
func (s *scheduleInfo) nextDue(rotatedAt time.Time, now time.Time) (*time.Time, string) {
	switch {
	case s == nil:
		return nil, "unknown: the schedule was not read"
	case s.Problem != "":
		return nil, "unknown: " + s.Problem
	case s.State != string(evtypes.RuleStateEnabled):
		return nil, "not scheduled: the schedule rule is " + s.State
	case strings.HasPrefix(s.Expression, "cron("):
		next, err := deploy.NextRun(s.Expression, now)
		if err != nil {
			return nil, "unknown: schedule " + s.Expression + " " + err.Error()
		}
		return &next, "the next run of " + s.Expression
	case rotatedAt.IsZero():
		return nil, "unknown: never rotated by ddrotate; the schedule is " + s.Expression
	default:
		next, err := deploy.NextRun(s.Expression, rotatedAt)
		if err != nil {
			return nil, "unknown: schedule " + s.Expression + " " + err.Error()
		}
		note := s.Expression + " after the last rotation"
		if next.Before(now) {
			note += " (overdue)"
		}
		return &next, note
	}
}

// targetStatus reads one target's secret: its current credential's ids
// and last4s (never a value), and its lock.
func (d *deployment) targetStatus(ctx context.Context, t target, sched *scheduleInfo, now time.Time) (targetStatus, error) {
	st := targetStatus{Target: t.Name, Kind: string(t.Kind), SecretARN: t.SecretARN, GraceSeconds: t.GraceSeconds, MaxGraceSeconds: t.MaxGraceSeconds}
	cur, err := d.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(t.SecretARN), VersionStage: aws.String("AWSCURRENT")})
	if err != nil {
		st.Problem = "cannot read the secret: " + firstLine(err.Error())
	} else if err := st.readCredential(t.Kind, aws.ToString(cur.SecretString)); err != nil {
		st.Problem = rotation.Scrub(firstLine(err.Error()))
	}
	if st.RotatedAt != nil {
		age := int64(now.Sub(*st.RotatedAt).Seconds())
		st.KeyAgeSeconds = &age
	}
	st.NextDue, st.NextDueNote = sched.nextDue(aws.ToTime(st.RotatedAt), now)
	if sched.active() && sched.Targets != nil && !containsString(sched.Targets, t.Name) {
		st.NextDue, st.NextDueNote = nil, "not scheduled: the schedule's input does not name this target"
	}
	if v := t.versionWith("AWSPENDING"); v != "" {
		st.Lock = &lockStatus{VersionID: v}
		pending, err := d.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(t.SecretARN), VersionId: aws.String(v)})
		if err == nil {
			var meta struct {
				ExecutionID string `json:"executionId"`
			}
			_ = json.Unmarshal([]byte(aws.ToString(pending.SecretString)), &meta)
			st.Lock.ExecutionARN = meta.ExecutionID
		}
		st.Lock.ExecutionStatus = "unknown"
		if st.Lock.ExecutionARN != "" {
			if x, err := d.describe(ctx, st.Lock.ExecutionARN); err == nil {
				st.Lock.ExecutionStatus = x.Status
			}
		}
		st.Lock.Stale = st.Lock.ExecutionStatus != string(sfntypes.ExecutionStatusRunning)
	}
	return st, nil
}

// readCredential takes the ids, last4s and metadata of a secret's value;
// the parsed credential masks its values and is dropped here.
func (st *targetStatus) readCredential(kind deploy.Kind, value string) error {
	var fields map[string]json.RawMessage
	if json.Unmarshal([]byte(value), &fields) == nil {
		if _, ok := fields["uninitialized"]; ok {
			return errors.New("not initialized: the secret still holds the stack's placeholder; put its first credential (README, First-time setup)")
		}
	}
	var meta credential.Metadata
	if kind == deploy.KindAdmin {
		a, err := credential.ParseAdmin([]byte(value))
		if err != nil {
			return err
		}
		st.APIKeyID, st.APIKeyLast4, st.AppKeyID, st.AppKeyLast4 = a.APIKeyID, a.APIKey.Last4(), a.AppKeyID, a.AppKey.Last4()
		meta = a.Metadata
	} else {
		t, err := credential.ParseTeam([]byte(value))
		if err != nil {
			return err
		}
		st.APIKeyID, st.APIKeyLast4 = t.APIKeyID, t.APIKey.Last4()
		if t.HasAppKey() {
			st.AppKeyID, st.AppKeyLast4 = t.AppKeyID, t.AppKey.Last4()
		}
		meta = t.Metadata
	}
	st.KeyName, st.RotatedBy = meta.KeyName, meta.ExecutionID
	if !meta.RotatedAt.IsZero() {
		at := meta.RotatedAt.UTC()
		st.RotatedAt = &at
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func keyColumn(id, last4 string) string {
	if id == "" && last4 == "" {
		return ""
	}
	return "…" + last4 + " (" + shortID(id) + ")"
}

func (l *lockStatus) String() string {
	if l == nil {
		return "free"
	}
	holder := "an unknown execution"
	if l.ExecutionARN != "" {
		holder = l.ExecutionARN[strings.LastIndex(l.ExecutionARN, ":")+1:]
	}
	if l.Stale {
		return fmt.Sprintf("stale: %s (%s)", holder, l.ExecutionStatus)
	}
	return fmt.Sprintf("held by %s (%s)", holder, l.ExecutionStatus)
}

func lastExecutionColumn(x *execInfo, now time.Time) string {
	if x == nil {
		return ""
	}
	s := x.outcome()
	if x.Mode != "" {
		s += " " + x.Mode
	}
	if x.ByFleet {
		s += " (fleet)"
	}
	if x.StartDate != nil {
		s += ", " + formatAge(now.Sub(*x.StartDate)) + " ago"
	}
	return s
}

func scheduleLine(s *scheduleInfo) string {
	switch {
	case s == nil:
		return "-"
	case s.Problem != "":
		return "unknown (" + s.Problem + ")"
	default:
		return fmt.Sprintf("%s, %s (rule %s)", s.Expression, s.State, s.Rule)
	}
}

func printStatusTable(w io.Writer, out statusOutput, now time.Time) error {
	fmt.Fprintf(w, "deployment %s in %s; schedule %s\n\n", out.Deployment.Prefix, out.Deployment.Region, scheduleLine(out.Deployment.Schedule))
	var rows [][]string
	var problems []string
	for _, t := range out.Targets {
		age, rotated := "", formatTimePtr(t.RotatedAt)
		if t.KeyAgeSeconds != nil {
			age = formatAge(time.Duration(*t.KeyAgeSeconds) * time.Second)
		}
		due := formatTimePtr(t.NextDue)
		if t.NextDue == nil {
			due = "unknown"
			if strings.HasPrefix(t.NextDueNote, "not scheduled") {
				due = "not scheduled"
			}
		} else if strings.HasSuffix(t.NextDueNote, "(overdue)") {
			due += " (overdue)"
		}
		apiKey := keyColumn(t.APIKeyID, t.APIKeyLast4)
		if t.Problem != "" {
			apiKey = "unreadable"
			problems = append(problems, t.Target+": "+t.Problem)
		}
		rows = append(rows, []string{t.Target, t.Kind, apiKey, keyColumn(t.AppKeyID, t.AppKeyLast4), rotated, age, due,
			t.Lock.String(), lastExecutionColumn(t.LastExecution, now)})
	}
	if err := table(w, []string{"TARGET", "KIND", "API KEY", "APP KEY", "ROTATED", "AGE", "NEXT DUE", "LOCK", "LAST EXECUTION"}, rows); err != nil {
		return err
	}
	if len(problems) > 0 {
		fmt.Fprintln(w)
		for _, p := range problems {
			fmt.Fprintln(w, p)
		}
	}
	return nil
}

func printTargetDetail(w io.Writer, out statusOutput, now time.Time) error {
	t := out.Targets[0]
	age, grace, maxGrace := "", "", ""
	if t.KeyAgeSeconds != nil {
		age = formatAge(time.Duration(*t.KeyAgeSeconds) * time.Second)
	}
	if t.GraceSeconds != nil {
		grace = (time.Duration(*t.GraceSeconds) * time.Second).String()
	}
	if t.MaxGraceSeconds != nil {
		maxGrace = (time.Duration(*t.MaxGraceSeconds) * time.Second).String()
	}
	apiKey, appKey := "", ""
	if t.APIKeyID != "" {
		apiKey = t.APIKeyID + "  …" + t.APIKeyLast4
	}
	if t.AppKeyID != "" {
		appKey = t.AppKeyID + "  …" + t.AppKeyLast4
	}
	due := formatTimePtr(t.NextDue)
	if t.NextDue == nil {
		due = "unknown"
	}
	pairs := [][2]string{
		{"target", t.Target}, {"kind", t.Kind}, {"secret", t.SecretARN},
		{"api key", apiKey}, {"app key", appKey}, {"key name", t.KeyName},
		{"rotated at", formatTimePtr(t.RotatedAt)}, {"rotated by", t.RotatedBy}, {"key age", age},
		{"next due", due + "  (" + t.NextDueNote + ")"}, {"schedule", scheduleLine(out.Deployment.Schedule)},
		{"grace period", grace}, {"max grace period", maxGrace},
		{"lock", t.Lock.String()},
	}
	if t.Lock != nil {
		pairs = append(pairs, [2]string{"lock holder", t.Lock.ExecutionARN})
	}
	if x := t.LastExecution; x != nil {
		pairs = append(pairs, [2]string{"last execution", x.ExecutionARN},
			[2]string{"  outcome", lastExecutionColumn(x, now)},
			[2]string{"  started", formatTimePtr(x.StartDate)}, [2]string{"  stopped", formatTimePtr(x.StopDate)})
		if x.Error != "" {
			pairs = append(pairs, [2]string{"  error", x.Error + ": " + x.ErrorMessage})
		}
	} else {
		pairs = append(pairs, [2]string{"last execution", ""})
	}
	if t.Problem != "" {
		pairs = append(pairs, [2]string{"problem", t.Problem})
	}
	return fields(w, pairs)
}
