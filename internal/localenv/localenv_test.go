package localenv

import (
	"strings"
	"testing"
	"time"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// The names the demo and the tests use are those of the local deployment's
// config, which the steps are wired from.
func TestConstantsNameTheLocalDeployment(t *testing.T) {
	cfg, err := deployConfig(withDefaults(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SecretPrefix != SecretPrefix || cfg.Admin().Name != AdminTarget || cfg.Site != Site {
		t.Errorf("config has secret prefix %q, admin %q, site %q; the constants say %q, %q, %q",
			cfg.SecretPrefix, cfg.Admin().Name, cfg.Site, SecretPrefix, AdminTarget, Site)
	}
	if cfg.RotateTargetMachineName() != TargetMachine || cfg.RotateFleetMachineName() != FleetMachine {
		t.Errorf("config names the machines %q and %q; the constants say %q and %q",
			cfg.RotateTargetMachineName(), cfg.RotateFleetMachineName(), TargetMachine, FleetMachine)
	}
	for _, step := range deploy.Steps() {
		if arn := FunctionARN(step); !strings.HasSuffix(arn, ":function:"+cfg.FunctionName(step)) {
			t.Errorf("FunctionARN(%s) = %q, not the config's function %q", step, arn, cfg.FunctionName(step))
		}
	}
}

// Any grace period a deployment may have, the local config accepts.
func TestDeployConfigAcceptsEveryGracePeriod(t *testing.T) {
	for _, grace := range []time.Duration{time.Second, 24 * time.Hour, 364 * 24 * time.Hour} {
		opts := withDefaults(Options{DefaultGrace: grace})
		cfg, err := deployConfig(opts)
		if err != nil || cfg.DefaultGrace != grace {
			t.Errorf("grace %v: config grace %v, error %v", grace, cfg.DefaultGrace, err)
		}
	}
}
