package deploy

import "slices"

// logRetentionDays are the retention periods CloudWatch Logs accepts, in days.
var logRetentionDays = [...]int{
	1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
	731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
}

// LogRetentionDays lists the retention periods, in days, that a config may
// ask for: those CloudWatch Logs accepts. The slice is the caller's own.
func LogRetentionDays() []int { return slices.Clone(logRetentionDays[:]) }
