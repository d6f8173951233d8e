package rotation

import (
	"context"
	"errors"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Rollback undoes a rotation that failed before Store: it deletes the keys
// this execution created (found by the version it staged and by their
// deterministic name, so even keys made by an attempt that died before
// answering are found) and releases its AWSPENDING. AWSCURRENT is never
// touched, so the key consumers use keeps working. If the execution never
// got as far as naming a valid target, there is nothing to undo.
func (s *Steps) Rollback(ctx context.Context, req RollbackRequest) (RollbackResult, error) {
	res := RollbackResult{Deleted: []KeyRef{}}
	in, err := ParseInput(req.Input)
	if err != nil || req.ExecutionID == "" {
		return res, nil
	}
	if err := s.checkExecution(ctx, req.ExecutionID, in.Target); err != nil {
		return res, err
	}
	st, err := s.describeTarget(ctx, in.Target)
	if err != nil {
		var inputErr *InputError
		var configErr *ConfigError
		if errors.As(err, &inputErr) || errors.As(err, &configErr) {
			return res, nil // no secret, or no usable configuration: Create made nothing
		}
		return res, err
	}
	r, err := s.newRun(ctx, st)
	if err != nil {
		return res, err
	}
	res, err = r.undoExecution(ctx, req.ExecutionID)
	if err != nil {
		return res, err
	}
	s.log().Info("rolled back", "step", string(deploy.StepRollback), "target", in.Target, "execution", req.ExecutionID,
		"deleted_keys", len(res.Deleted), "store_completed", res.StoreCompleted)
	return res, nil
}
