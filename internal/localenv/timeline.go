package localenv

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ddrotate/ddrotate/internal/asl"
)

// TimelineRow is one state of an execution, as the demo prints it.
type TimelineRow struct {
	State    string
	Duration time.Duration // on the executor's clock (virtual in the demo)
	Outcome  string        // ok, retried, caught, failed
	Detail   string        // key last4s and counts; never a key value
}

// Timeline summarises an execution's history state by state.
func Timeline(x *asl.Execution) []TimelineRow {
	var rows []TimelineRow
	open := map[string]int{} // state → index of its row still open
	failures := map[string]int{}
	started := map[string]time.Time{}
	for _, ev := range x.History() {
		switch {
		case strings.HasSuffix(ev.Type, "StateEntered"):
			open[ev.State] = len(rows)
			started[ev.State] = ev.Time
			rows = append(rows, TimelineRow{State: ev.State, Outcome: "…"})
			failures[ev.State] = 0
			if ev.Type == "FailStateEntered" {
				rows[len(rows)-1].Outcome = "failed"
			}
		case ev.Type == "TaskFailed" || ev.Type == "TaskTimedOut" || ev.Type == "LambdaFunctionFailed":
			failures[ev.State]++
			if i, ok := open[ev.State]; ok {
				rows[i].Detail = strings.TrimSpace(rows[i].Detail + " " + ev.Error)
			}
		case strings.HasSuffix(ev.Type, "StateExited"):
			i, ok := open[ev.State]
			if !ok {
				continue
			}
			delete(open, ev.State)
			rows[i].Duration = ev.Time.Sub(started[ev.State])
			rows[i].Outcome = "ok"
			if n := failures[ev.State]; n > 0 {
				rows[i].Outcome = fmt.Sprintf("retried %d", n)
			}
			if d := detail(ev.State, ev.Output); d != "" {
				rows[i].Detail = strings.TrimSpace(rows[i].Detail + " " + d)
			}
		}
	}
	for _, i := range open {
		if rows[i].Outcome == "…" {
			rows[i].Outcome = "stopped"
		}
	}
	return rows
}

// detail picks the key last4s out of a state's output.
func detail(state string, output json.RawMessage) string {
	var out struct {
		Rotation *struct {
			New          struct{ APIKeyLast4, AppKeyLast4 string } `json:"new"`
			Old          struct{ APIKeyLast4, AppKeyLast4 string } `json:"old"`
			GraceSeconds int                                       `json:"graceSeconds"`
		} `json:"rotation"`
		Deleted *struct {
			Revoked struct {
				Revoked []struct{ Type, ID, Last4 string } `json:"revoked"`
			} `json:"revoked"`
		} `json:"deleted"`
	}
	if json.Unmarshal(output, &out) != nil || out.Rotation == nil {
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
		var ids []string
		for _, k := range out.Deleted.Revoked.Revoked {
			label := k.Type + " " + shortID(k.ID)
			if k.Last4 != "" {
				label += " …" + k.Last4
			}
			ids = append(ids, label)
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
