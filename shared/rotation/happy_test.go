package rotation_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/shared/credential"
	"github.com/ddrotate/ddrotate/shared/deploy"
	"github.com/ddrotate/ddrotate/shared/rotation"
)

var modes = []rotation.Mode{rotation.ModeScheduled, rotation.ModeCompromise}

// oldScopes are the scopes of the target's initial application key.
func oldScopes(kind rotation.Kind) []string {
	if kind == deploy.KindAdmin {
		return ddemu.AdminScopes
	}
	return teamScopes
}

// strays are keys that are not in the target's secret: managed keys that an
// earlier rotation left behind, and keys of a neighbour target whose name
// starts the same way.
type strays struct {
	managedAPI, neighbourAPI ddemu.APIKey
	managedApp, neighbourApp ddemu.AppKey // zero for api-key targets
}

func (f *fixture) addStrays(tg *target) strays {
	earlier := executionArn + "00000000-0000-4000-8000-earlier00001"
	s := strays{
		managedAPI:   f.dd.AddAPIKey(rotation.KeyName(tg.Name, earlier)),
		neighbourAPI: f.dd.AddAPIKey(rotation.KeyName(tg.Name+"-eu", earlier)),
	}
	if tg.Kind != deploy.KindAPIKey {
		s.managedApp = f.dd.AddAppKey(tg.ServiceAccountID, rotation.KeyName(tg.Name, earlier), oldScopes(tg.Kind))
		s.neighbourApp = f.dd.AddAppKey(tg.ServiceAccountID, rotation.KeyName(tg.Name+"-eu", earlier), nil)
	}
	return s
}

// TestRotationHappyPath runs Create, Verify, Store, Notify and DeleteOld for
// each kind of target in each mode, and checks what the emulators hold
// after every step.
func TestRotationHappyPath(t *testing.T) {
	for _, name := range []string{payments, analytics, adminTarget} {
		for _, mode := range modes {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				f := newFixture(t)
				tg := f.targets[name]
				stray := f.addStrays(tg)
				before := f.snapshot()
				initialVersion := f.labels(name)["AWSCURRENT"]
				exec := f.newExecution()

				rec := f.mustCreate(exec, input(name, mode))
				wantRecord(t, rec, tg, mode, exec, initialVersion)
				if got := f.labels(name); got["AWSPENDING"] != rec.PendingVersionID || got["AWSCURRENT"] != initialVersion {
					t.Fatalf("after Create: labels %v, want AWSPENDING on %s and AWSCURRENT still on %s", got, rec.PendingVersionID, initialVersion)
				}
				f.requireCurrentWorks(name)

				if err := f.verify(rec); err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if err := f.store(rec); err != nil {
					t.Fatalf("Store: %v", err)
				}
				labels := f.labels(name)
				if labels["AWSCURRENT"] != rec.PendingVersionID || labels["AWSPREVIOUS"] != initialVersion || labels["AWSPENDING"] != "" {
					t.Fatalf("after Store: labels %v, want AWSCURRENT %s, AWSPREVIOUS %s, no AWSPENDING", labels, rec.PendingVersionID, initialVersion)
				}
				if _, err := f.notify(rotation.NotifyRequest{Event: rotation.EventRotated, ExecutionID: exec, Rotation: &rec}); err != nil {
					t.Fatalf("Notify rotated: %v", err)
				}
				// Between Store and DeleteOld (the grace period) both keys work.
				if !f.dd.APIKeyValid(tg.APIKey.Key) {
					t.Errorf("the old API key died before DeleteOld")
				}

				revoked, err := f.deleteOld(rec)
				if err != nil {
					t.Fatalf("DeleteOld: %v", err)
				}
				if _, err := f.notify(rotation.NotifyRequest{Event: rotation.EventOldKeyRevoked, ExecutionID: exec, Rotation: &rec, Revoked: &revoked}); err != nil {
					t.Fatalf("Notify old-key-revoked: %v", err)
				}

				// The new credential is current, complete and working.
				f.requireCurrentWorks(name)
				apiID, apiValue, appID, appValue := f.currentKeys(name)
				if apiID != rec.New.APIKeyID || appID != rec.New.AppKeyID {
					t.Errorf("AWSCURRENT holds keys %s/%s, want the new %s/%s", apiID, appID, rec.New.APIKeyID, rec.New.AppKeyID)
				}
				if got := lastN(apiValue); got != rec.New.APIKeyLast4 {
					t.Errorf("new API key last4 %q in the record, secret has …%s", rec.New.APIKeyLast4, got)
				}
				f.wantMetadata(name, rec)
				newAPI := f.apiKeysNamed(rec.KeyName)
				if len(newAPI) != 1 || newAPI[0].ID != rec.New.APIKeyID {
					t.Errorf("API keys named %s: %v, want exactly the new one %s", rec.KeyName, newAPI, rec.New.APIKeyID)
				}
				if tg.Kind != deploy.KindAPIKey {
					newApp := f.appKeysNamed(rec.KeyName)
					if len(newApp) != 1 || newApp[0].ID != rec.New.AppKeyID || newApp[0].Key != appValue {
						t.Fatalf("application keys named %s: %v, want exactly the new one %s", rec.KeyName, newApp, rec.New.AppKeyID)
					}
					if got, want := sorted(newApp[0].Scopes), sorted(oldScopes(tg.Kind)); !slices.Equal(got, want) {
						t.Errorf("new application key scopes %v, want the old key's %v", got, want)
					}
					if newApp[0].OwnerID != tg.ServiceAccountID {
						t.Errorf("new application key is owned by %s, want %s", newApp[0].OwnerID, tg.ServiceAccountID)
					}
				}

				// Exactly the expected keys died; every other key lives.
				doomedAPI := []string{tg.APIKey.ID}
				doomedApp := []string{}
				if tg.Kind != deploy.KindAPIKey {
					doomedApp = append(doomedApp, tg.AppKey.ID)
				}
				// A managed key an earlier rotation left behind, named by no
				// label, is an orphan: both modes sweep it.
				doomedAPI = append(doomedAPI, stray.managedAPI.ID)
				if tg.Kind != deploy.KindAPIKey {
					doomedApp = append(doomedApp, stray.managedApp.ID)
				}
				f.wantKeys(before, doomedAPI, doomedApp, rec.New)
				if got, want := revokedIDs(revoked), sorted(append(slices.Clone(doomedAPI), doomedApp...)); !slices.Equal(got, want) {
					t.Errorf("DeleteOld reported revoking %v, want %v", got, want)
				}
				if !f.dd.APIKeyValid(stray.neighbourAPI.Key) {
					t.Errorf("the key of target %s-eu was deleted", name)
				}

				// Other targets' secrets are untouched.
				after := f.snapshot()
				for other, vs := range before.versions {
					if other != name && versionSummary(after.versions[other]) != versionSummary(vs) {
						t.Errorf("rotating %s changed the secret of %s", name, other)
					}
				}

				if name == adminTarget {
					// Self-rotation: the old pair made the new pair, and the
					// new pair deleted the old.
					if got := f.factoryAdmins[0]; got != tg.APIKey.ID {
						t.Errorf("Create acted with admin API key %s, want the old %s", got, tg.APIKey.ID)
					}
					if got := f.factoryAdmins[len(f.factoryAdmins)-1]; got != rec.New.APIKeyID {
						t.Errorf("DeleteOld acted with admin API key %s, want the new %s", got, rec.New.APIKeyID)
					}
				}
				if msgs := f.published(); len(msgs) != 2 {
					t.Errorf("published %d messages, want rotated and old-key-revoked", len(msgs))
				}
			})
		}
	}
}

// wantRecord checks what Create returned against the target it rotates.
func wantRecord(t *testing.T, rec rotation.Record, tg *target, mode rotation.Mode, exec, initialVersion string) {
	t.Helper()
	want := rotation.Record{
		Target:            tg.Name,
		Kind:              tg.Kind,
		Mode:              mode,
		SecretARN:         tg.SecretARN,
		ExecutionID:       exec,
		KeyName:           rotation.KeyName(tg.Name, exec),
		PendingVersionID:  rotation.VersionToken(tg.Name, exec),
		PreviousVersionID: initialVersion,
		ServiceAccountID:  tg.ServiceAccountID,
		Old:               rotation.Keys{APIKeyID: tg.APIKey.ID, APIKeyLast4: lastN(tg.APIKey.Key), AppKeyID: tg.AppKey.ID, AppKeyLast4: lastN(tg.AppKey.Key)},
		New:               rec.New,
	}
	if mode == rotation.ModeScheduled {
		want.GraceSeconds = int(defaultGrace / time.Second)
	}
	if !recordsEqual(rec, want) {
		t.Errorf("Create returned\n %+v\nwant\n %+v", rec, want)
	}
	if rec.New.APIKeyID == "" || rec.New.APIKeyID == rec.Old.APIKeyID || len(rec.New.APIKeyLast4) != 4 {
		t.Errorf("Create's new API key %+v is not a new key", rec.New)
	}
	if hasApp := tg.Kind != deploy.KindAPIKey; hasApp != (rec.New.AppKeyID != "") || hasApp != (rec.New.AppKeyLast4 != "") {
		t.Errorf("Create's new application key %+v for a target of kind %s", rec.New, tg.Kind)
	}
}

// recordsEqual compares Records, ignoring fields a step may add that the
// test does not know about.
func recordsEqual(a, b rotation.Record) bool {
	return a.Target == b.Target && a.Kind == b.Kind && a.Mode == b.Mode && a.SecretARN == b.SecretARN &&
		a.ExecutionID == b.ExecutionID && a.KeyName == b.KeyName && a.PendingVersionID == b.PendingVersionID &&
		a.PreviousVersionID == b.PreviousVersionID && a.ServiceAccountID == b.ServiceAccountID &&
		a.New == b.New && a.Old == b.Old && a.GraceSeconds == b.GraceSeconds
}

// wantMetadata checks the metadata Create wrote into the new version.
func (f *fixture) wantMetadata(name string, rec rotation.Record) {
	f.t.Helper()
	_, raw := f.stageValue(name, "AWSCURRENT")
	var meta credential.Metadata
	var s credential.Site
	if f.targets[name].Kind == deploy.KindAdmin {
		a, err := credential.ParseAdmin([]byte(raw))
		if err != nil {
			f.t.Fatal(err)
		}
		meta, s = a.Metadata, a.Site
	} else {
		tm, err := credential.ParseTeam([]byte(raw))
		if err != nil {
			f.t.Fatal(err)
		}
		meta, s = tm.Metadata, tm.Site
	}
	want := credential.Metadata{KeyName: rec.KeyName, RotatedAt: fixedNow, ExecutionID: rec.ExecutionID}
	if !meta.RotatedAt.Equal(want.RotatedAt) || meta.KeyName != want.KeyName || meta.ExecutionID != want.ExecutionID {
		f.t.Errorf("new version metadata %+v, want %+v", meta, want)
	}
	if s != site {
		f.t.Errorf("new version site %q, want %q", s, site)
	}
}

// wantKeys checks that Datadog holds exactly the keys it held before, less
// the doomed ones, plus the new ones.
func (f *fixture) wantKeys(before state, doomedAPI, doomedApp []string, added rotation.Keys) {
	f.t.Helper()
	wantAPI := without(sortedKeys(before.apiKeys), doomedAPI)
	wantApp := without(sortedKeys(before.appKeys), doomedApp)
	if added.APIKeyID != "" {
		wantAPI = sorted(append(wantAPI, added.APIKeyID))
	}
	if added.AppKeyID != "" {
		wantApp = sorted(append(wantApp, added.AppKeyID))
	}
	after := f.snapshot()
	if got := sortedKeys(after.apiKeys); !slices.Equal(got, wantAPI) {
		f.t.Errorf("API keys:\n got %v\nwant %v", got, wantAPI)
	}
	if got := sortedKeys(after.appKeys); !slices.Equal(got, wantApp) {
		f.t.Errorf("application keys:\n got %v\nwant %v", got, wantApp)
	}
}

func without(all, drop []string) []string {
	var out []string
	for _, id := range all {
		if !slices.Contains(drop, id) {
			out = append(out, id)
		}
	}
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func revokedIDs(res rotation.DeleteOldResult) []string {
	return keyIDs(res.Revoked, func(k rotation.KeyRef) string { return k.ID })
}

func lastN(s string) string {
	if len(s) < 4 {
		return ""
	}
	return s[len(s)-4:]
}

// TestDeleteOldAfterAnotherRotationsGrace starts from a scheduled rotation
// whose old key is still in its grace period (AWSPREVIOUS, not yet deleted)
// and rotates again. A scheduled rotation deletes exactly its own old key
// and leaves the one in grace to its own execution; a compromise rotation
// revokes the key in grace too, never the new key, and the first
// rotation's DeleteOld then finds its key already gone.
func TestDeleteOldAfterAnotherRotationsGrace(t *testing.T) {
	for _, name := range []string{payments, analytics} {
		for _, mode := range modes {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				f := newFixture(t)
				tg := f.targets[name]
				first := f.rotateThroughStore(name, rotation.ModeScheduled) // tg's keys are now in grace
				before := f.snapshot()

				second := f.rotateThroughStore(name, mode)
				revoked, err := f.deleteOld(second)
				if err != nil {
					t.Fatalf("DeleteOld of the second rotation: %v", err)
				}
				doomedAPI, doomedApp := []string{first.New.APIKeyID}, []string{}
				if first.New.AppKeyID != "" {
					doomedApp = append(doomedApp, first.New.AppKeyID)
				}
				if mode == rotation.ModeCompromise {
					doomedAPI = append(doomedAPI, tg.APIKey.ID)
					if tg.AppKey.ID != "" {
						doomedApp = append(doomedApp, tg.AppKey.ID)
					}
				}
				f.wantKeys(before, doomedAPI, doomedApp, second.New)
				if got, want := revokedIDs(revoked), sorted(append(slices.Clone(doomedAPI), doomedApp...)); !slices.Equal(got, want) {
					t.Errorf("DeleteOld reported revoking %v, want %v", got, want)
				}
				f.requireCurrentWorks(name)

				// The first rotation's grace ends: its DeleteOld deletes its
				// old key (or finds it gone) and never the current one.
				if _, err := f.deleteOld(first); err != nil {
					t.Fatalf("DeleteOld of the first rotation: %v", err)
				}
				if f.dd.APIKeyValid(tg.APIKey.Key) {
					t.Errorf("the first rotation's old key survived its DeleteOld")
				}
				f.requireCurrentWorks(name)
				if got := f.labels(name)["AWSCURRENT"]; got != second.PendingVersionID {
					t.Errorf("AWSCURRENT on %s, want the second rotation's %s", got, second.PendingVersionID)
				}
			})
		}
	}
}

// TestDeleteOldNeverDeletesCurrentKey runs DeleteOld when the old key is
// still AWSCURRENT: too early (before Store), or after an operator moved
// AWSCURRENT back by hand. A scheduled DeleteOld refuses; a compromise
// DeleteOld revokes the rest and spares the key consumers read.
func TestDeleteOldNeverDeletesCurrentKey(t *testing.T) {
	for _, name := range []string{payments, analytics} {
		for _, mode := range modes {
			for _, when := range []string{"before Store", "after AWSCURRENT moved back"} {
				t.Run(name+"/"+string(mode)+"/"+when, func(t *testing.T) {
					f := newFixture(t)
					initialVersion := f.labels(name)["AWSCURRENT"]
					rec := f.mustCreate(f.newExecution(), input(name, mode))
					if when != "before Store" {
						if err := f.store(rec); err != nil {
							t.Fatalf("Store: %v", err)
						}
						f.moveCurrent(name, initialVersion, rec.PendingVersionID)
					}
					_, err := f.deleteOld(rec)
					if mode == rotation.ModeScheduled {
						wantErrorName(t, err, "RefusedError")
					} else if err != nil {
						t.Fatalf("DeleteOld: %v", err)
					}
					f.requireCurrentWorks(name)
					if apiID, _, _, _ := f.currentKeys(name); apiID != f.targets[name].APIKey.ID {
						t.Fatalf("AWSCURRENT holds %s, want the initial key", apiID)
					}
				})
			}
		}
	}
}

// moveCurrent moves AWSCURRENT from one version to another, as an operator
// undoing a rotation by hand would.
func (f *fixture) moveCurrent(name, to, from string) {
	f.t.Helper()
	if _, err := f.sm.UpdateSecretVersionStage(f.ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(secretPrefix + name), VersionStage: aws.String("AWSCURRENT"),
		MoveToVersionId: aws.String(to), RemoveFromVersionId: aws.String(from),
	}); err != nil {
		f.t.Fatalf("move AWSCURRENT of %s: %v", name, err)
	}
}
