package localstack

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// ModuleRoot is the folder holding the go.mod of the module the go
// command sees from the current directory.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module")
	}
	return filepath.Dir(mod), nil
}

// Synthesize runs the CDK app of the module at root (go run ./infra) with
// the configuration file config into outDir and returns the path of the
// stack's template. The Lambda bundles it points the CDK at are
// placeholders: a local stack builds the real bootstraps itself.
func Synthesize(root, config, outDir string) (string, error) {
	fns := filepath.Join(outDir, "placeholder-functions")
	for _, step := range deploy.Steps() {
		if err := os.MkdirAll(filepath.Join(fns, string(step)), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(fns, string(step), "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			return "", err
		}
	}
	out := filepath.Join(outDir, "cdk.out")
	cmd := exec.Command("go", "run", "./infra")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CDK_OUTDIR="+out, "DDROTATE_FUNCTIONS_DIR="+fns,
		"DDROTATE_CONFIG="+config, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("synthesize: %v\n%s", err, b)
	}
	matches, err := filepath.Glob(filepath.Join(out, "*.template.json"))
	if err != nil {
		return "", err
	}
	for _, m := range matches {
		if !strings.Contains(filepath.Base(m), ".nested.") {
			return m, nil
		}
	}
	return "", fmt.Errorf("synthesize: no stack template in %s", out)
}

// StepBootstraps builds every step's functions/<step> bootstrap into dir,
// keyed by folder name, for Options.Bootstraps.
func StepBootstraps(root, dir string) (map[string]string, error) {
	var names []string
	for _, step := range deploy.Steps() {
		names = append(names, string(step))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return BuildBootstraps(root, dir, names)
}
