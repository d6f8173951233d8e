package deploy

import (
	"fmt"
	"strings"
)

// Problem is one mistake in a config file, located by its JSON path
// (e.g. "targets[2].accounts[0]") so the operator can find it.
type Problem struct {
	Field   string
	Message string
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// ConfigError lists every problem found in a config file, so one synth
// reports all of them instead of one per attempt.
type ConfigError struct {
	Problems []Problem
}

func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// problemList collects problems during validation.
type problemList []Problem

func (l *problemList) add(field, format string, args ...any) {
	*l = append(*l, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was found, so callers can return it directly.
func (l problemList) err() error {
	if len(l) == 0 {
		return nil
	}
	return &ConfigError{Problems: l}
}
