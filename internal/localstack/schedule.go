package localstack

import (
	"fmt"
	"time"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// schedule computes the fire times of an EventBridge schedule expression.
type schedule interface {
	next(after time.Time) (time.Time, bool)
}

// parseSchedule reads rate(N unit) and cron(min hour dom month dow year)
// with the parser that validates the deployment's configuration, so that a
// schedule the validation accepts (L, W and # included) fires locally too.
func parseSchedule(expr string, created time.Time) (schedule, error) {
	s, err := deploy.ParseSchedule(expr, created)
	if err != nil {
		return nil, fmt.Errorf("%q %v: %w", expr, err, errNoSchedule)
	}
	return deploySchedule{s}, nil
}

type deploySchedule struct{ deploy.Schedule }

func (d deploySchedule) next(after time.Time) (time.Time, bool) { return d.Next(after) }

// startSchedules fires each enabled schedule rule on the stack's clock:
// every target that is a state machine of the stack gets an execution,
// started with the rule target's role.
func (ls *Stack) startSchedules() error {
	for _, rule := range ls.Deployment.Rules {
		if !rule.Enabled || rule.Schedule == "" {
			continue
		}
		sched, err := parseSchedule(rule.Schedule, ls.opts.Clock.Now())
		if err != nil {
			return fmt.Errorf("rule %s: %w", rule.Name, err)
		}
		rule := rule
		ls.wg.Add(1)
		go func() {
			defer ls.wg.Done()
			for {
				now := ls.opts.Clock.Now()
				at, ok := sched.next(now)
				if !ok {
					return
				}
				if err := ls.opts.Clock.Sleep(ls.ctx, at.Sub(now)); err != nil {
					return
				}
				ls.fire(rule)
			}
		}()
	}
	return nil
}

// fire delivers a rule's event to its targets, as EventBridge does with
// each target's role.
func (ls *Stack) fire(rule *Rule) {
	dep := ls.Deployment
	for _, t := range rule.Targets {
		m := ls.machineByARN(t.ARN)
		if m == nil {
			fmt.Fprintf(ls.opts.Logs, "events | rule %s: target %s is not a state machine of the stack; not delivered locally\n", rule.Name, t.ID)
			continue
		}
		session := "events-" + rule.Name
		if len(session) > 64 {
			session = session[:64]
		}
		d := dep.authorizeRole(t.RoleARN, session, "states:StartExecution", m.ARN, nil)
		if d.Allowed && m.KMSKeyARN != "" {
			d = dep.authorizeRole(t.RoleARN, session, "kms:GenerateDataKey", m.KMSKeyARN, kmsStatesContext(dep, m))
		}
		if !d.Allowed {
			fmt.Fprintf(ls.opts.Logs, "events | rule %s: target %s denied: %s\n", rule.Name, t.ID, d.Reason)
			continue
		}
		input := t.Input
		if input == "" {
			input = `{"version":"0","detail-type":"Scheduled Event","source":"aws.events","resources":["` + rule.ARN + `"],"detail":{}}`
		}
		x, serr := ls.start(ls.ctx, m, "", []byte(input))
		if serr != nil {
			fmt.Fprintf(ls.opts.Logs, "events | rule %s: %s\n", rule.Name, serr.Message)
			continue
		}
		fmt.Fprintf(ls.opts.Logs, "events | rule %s started %s\n", rule.Name, x.ARN())
	}
}
