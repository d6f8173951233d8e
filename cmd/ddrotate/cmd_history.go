package main

import (
	"context"
	"io"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

const historyAbout = `Lists the deployment's recent executions, newest first: rotations of one target
(rotate-target) and, without --target, the scheduled fleet runs (rotate-fleet),
with their outcome and, for a failure, the typed error and its message.`

type historyOutput struct {
	Executions []*execInfo `json:"executions"`
}

func historyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c commonFlags
	fs := newFlagSet("history", "[--target T] [--limit N] [flags]", historyAbout, stderr)
	only := fs.String("target", "", "only the rotations of this target")
	limit := fs.Int("limit", 20, "at most this many executions (1-1000)")
	c.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return err
	}
	if *limit < 1 || *limit > 1000 {
		return usagef("--limit must be between 1 and 1000, not %d", *limit)
	}
	d, err := connect(ctx, &c)
	if err != nil {
		return err
	}
	if err := d.findMachines(ctx); err != nil {
		return err
	}
	if *only != "" {
		if _, _, err := d.lookupTarget(ctx, *only); err != nil {
			return err
		}
	}
	// Without --target the newest `limit` of both machines; with it, the
	// target's among the most recent rotate-target executions.
	scan := *limit
	if *only != "" {
		scan = min(max(*limit*10, scanLimit), 1000)
	}
	items, err := d.listExecutions(ctx, d.targetMachine, scan)
	if err != nil {
		return err
	}
	if *only == "" && d.fleetMachine != "" {
		fleet, err := d.listExecutions(ctx, d.fleetMachine, *limit)
		if err != nil {
			return err
		}
		items = append(items, fleet...)
	}
	sortItems(items)
	out := historyOutput{Executions: []*execInfo{}}
	for _, it := range items {
		if len(out.Executions) == *limit {
			break
		}
		x, err := d.describe(ctx, aws.ToString(it.ExecutionArn))
		if err != nil {
			return err
		}
		if *only != "" && x.Target != *only {
			continue
		}
		out.Executions = append(out.Executions, x)
	}
	sortNewestFirst(out.Executions)
	if c.json() {
		return writeJSON(stdout, out)
	}
	now := time.Now()
	var rows [][]string
	for _, x := range out.Executions {
		target := x.Target
		if x.StateMachine != "rotate-target" {
			target = "(fleet)"
		}
		mode := x.Mode
		if x.ByFleet {
			mode += " (fleet)"
		}
		errText := ""
		if x.Error != "" {
			errText = x.Error + ": " + x.ErrorMessage
		}
		rows = append(rows, []string{formatTimePtr(x.StartDate), x.StateMachine, target, mode, x.Status,
			formatDuration(x.duration(now).Round(time.Millisecond)), x.Name, errText})
	}
	return table(stdout, []string{"STARTED", "STATE MACHINE", "TARGET", "MODE", "STATUS", "DURATION", "EXECUTION", "ERROR"}, rows)
}

// sortItems orders executions of both machines newest first.
func sortItems(items []sfntypes.ExecutionListItem) {
	slices.SortStableFunc(items, func(a, b sfntypes.ExecutionListItem) int {
		return aws.ToTime(b.StartDate).Compare(aws.ToTime(a.StartDate))
	})
}
