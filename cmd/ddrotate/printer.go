package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/localenv"
)

// printer writes the demo's human-readable report.
type printer struct{ w io.Writer }

func (p *printer) section(title string) {
	fmt.Fprintf(p.w, "\n== %s\n", title)
}

func (p *printer) line(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *printer) check(ok bool, format string, args ...any) {
	mark := "✓"
	if !ok {
		mark = "✗"
	}
	p.line(mark+" "+format, args...)
}

// timeline prints one execution: each state with its (virtual) duration,
// its outcome and the key last4s it handled.
func (p *printer) timeline(env *localenv.Env, x *asl.Execution) {
	target := targetOf(x)
	p.line("")
	p.line("%s  %s  %s", target, x.Status(), x.Name())
	for _, row := range localenv.Timeline(x) {
		p.line("  %-18s %9s  %-9s %s", row.State, formatDuration(row.Duration), row.Outcome, row.Detail)
	}
	if x.Error() != "" {
		p.line("  error: %s: %s", x.Error(), firstLine(x.Cause()))
	}
}

func targetOf(x *asl.Execution) string {
	var in struct {
		Target string `json:"target"`
		Mode   string `json:"mode"`
	}
	_ = json.Unmarshal(x.Input(), &in)
	return strings.TrimSpace(in.Target + " (" + in.Mode + ")")
}

func formatDuration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}
