package testkeys

import (
	"regexp"
	"testing"
)

func TestShapesAndStability(t *testing.T) {
	api, app := regexp.MustCompile(`^[0-9a-f]{32}$`), regexp.MustCompile(`^[0-9a-f]{40}$`)
	if k := APIKey("a"); !api.MatchString(k) || k != APIKey("a") || k == APIKey("b") {
		t.Errorf("APIKey: %q is not a stable, label-specific 32-hex value", k)
	}
	if k := AppKey("a"); !app.MatchString(k) || k != AppKey("a") || k == AppKey("b") {
		t.Errorf("AppKey: %q is not a stable, label-specific 40-hex value", k)
	}
	if k := AppToken("a"); !regexp.MustCompile(`^ddapp_[A-Za-z0-9]{34}$`).MatchString(k) || k != AppToken("a") {
		t.Errorf("AppToken: %q is not a stable ddapp_ token", k)
	}
	if k := Hex("a", 70); len(k) != 70 {
		t.Errorf("Hex(70) has %d characters", len(k))
	}
}
