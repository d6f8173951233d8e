package test

import (
	"os"
	"sync"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/localenv"
)

// leaksIn is the leak scan of checkAll, returned instead of reported.
func leaksIn(w *world) []string {
	texts := w.EmittedTexts()
	texts["step logs"] = w.logs.String()
	return localenv.Leaks(w.KeyValues(), texts)
}

// fullMatrix reports whether the whole fault matrix should run.
func fullMatrix() bool { return os.Getenv("DDROTATE_FAULTS") == "full" }

// stateMarks records, for every state any execution enters, the lengths of
// the emulators' call logs at that moment, so that a clean run can be cut
// into the calls each state made.
type stateMarks struct {
	mu    sync.Mutex
	marks []stateMark
}

type stateMark struct {
	state          string
	ddCalls, aCall int
}

// withStateMarks wraps the world's BeforeState hook (w.at keeps working) to
// record where each state starts in the call logs. The world is not known
// yet when the options are applied, so the logs are read through env.
func withStateMarks(m *stateMarks, env **localenv.Env) worldOption {
	return func(o *localenv.Options) {
		inner := o.BeforeState
		o.BeforeState = func(x *asl.Execution, state string) error {
			if e := *env; e != nil {
				m.mu.Lock()
				m.marks = append(m.marks, stateMark{state, len(e.Datadog.Calls()), len(e.AWS.Calls())})
				m.mu.Unlock()
			}
			if inner != nil {
				return inner(x, state)
			}
			return nil
		}
	}
}
