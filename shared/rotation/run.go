package rotation

import (
	"context"

	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/datadog"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// run is what one invocation of a step works with for one target: the
// Datadog client acting with the admin credential now in use, that
// credential, the target's secret as DescribeSecret showed it and, once the
// rotation's Record is known, the Record. The helpers that touch Datadog
// keys or the target's versions are its methods.
type run struct {
	*Steps
	dd    KeysAPI
	admin credential.Admin
	st    secretState
	rec   Record
	// currentAppKey is the target's current application key as Create read
	// it (owner, scopes), once checked.
	currentAppKey *datadog.AppKey
}

// newRun makes a Datadog client with the current admin credential for the
// target whose secret is st.
//
// It settles who owns the target's application keys once: the service
// account its tag names or, for the admin target, whose application keys
// no tag names, the service account of the admin credential itself. Every
// helper then reads r.st.target.ServiceAccountID.
func (s *Steps) newRun(ctx context.Context, st secretState) (*run, error) {
	dd, admin, err := s.keysClient(ctx)
	if err != nil {
		return nil, err
	}
	if st.target.Kind == deploy.KindAdmin {
		st.target.ServiceAccountID = admin.ServiceAccountID
	}
	return &run{Steps: s, dd: dd, admin: admin, st: st}, nil
}

// target is the target this run rotates or cleans up.
func (r *run) target() Target { return r.st.target }

// refresh reads the target's staging labels again, keeping its
// configuration (and so the application keys' owner) as newRun settled it.
func (r *run) refresh(ctx context.Context) error {
	now, err := r.describeTarget(ctx, r.st.target.Name)
	if err != nil {
		return err
	}
	r.st.versionOf = now.versionOf
	return nil
}
