package localstack

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// SourceFolder maps a template's function to the folder of its source,
// functions/<step>: by the function name's suffix (ddrotate-create →
// create), else by the last element of the asset path the CDK bundled it
// from (build/functions/create → create).
func SourceFolder(sourceDir string, fn *Function) (string, error) {
	entries, err := os.ReadDir(filepath.Join(sourceDir, "functions"))
	if err != nil {
		return "", fmt.Errorf("function sources: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, n := range names {
		if fn.Name == n || strings.HasSuffix(fn.Name, "-"+n) {
			return n, nil
		}
	}
	if fn.AssetPath != "" {
		base := filepath.Base(fn.AssetPath)
		for _, n := range names {
			if n == base {
				return n, nil
			}
		}
	}
	return "", fmt.Errorf("function %s: no folder functions/<name> matches its name or its asset path %q", fn.Name, fn.AssetPath)
}

// BuildBootstraps builds each named functions/<name> package of the module
// at sourceDir for the host's GOOS/GOARCH, as Lambda's provided runtime
// expects them (-tags lambda.norpc), into outDir/<name>/bootstrap, with
// one go build.
func BuildBootstraps(sourceDir, outDir string, names []string) (map[string]string, error) {
	if len(names) == 0 {
		return map[string]string{}, nil
	}
	tmp, err := os.MkdirTemp(outDir, "build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-o", tmp + string(os.PathSeparator)}
	for _, n := range names {
		args = append(args, "./functions/"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = sourceDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build the functions: %w\n%s", err, out)
	}
	paths := map[string]string{}
	for _, n := range names {
		dir := filepath.Join(outDir, n)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		dst := filepath.Join(dir, "bootstrap")
		if err := os.Rename(filepath.Join(tmp, n), dst); err != nil {
			return nil, fmt.Errorf("function %s: %w", n, err)
		}
		paths[n] = dst
	}
	return paths, nil
}
