package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// testDir holds the dummy Lambda bundles and the cloud assemblies of the
// package's tests; synthesizing is slow, so the tests share one stack.
var testDir string

func TestMain(m *testing.M) {
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	dir, err := os.MkdirTemp("", "ddrotate-infra-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = dir
	code := m.Run()
	jsii.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fakeFunctionsDir returns a folder laid out as "make lambdas" lays out
// build/functions, with a stand-in bootstrap per step.
var fakeFunctionsDir = sync.OnceValue(func() string {
	dir := filepath.Join(testDir, "functions")
	for _, step := range deploy.Steps() {
		if err := os.MkdirAll(filepath.Join(dir, string(step)), 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(dir, string(step), "bootstrap"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			panic(err)
		}
	}
	return dir
})

// synthesized is one synthesized app: its main stack's template with the
// resources of every nested stack merged in (a reference to a nested
// stack's parameter replaced by what the main stack passes it), parsed and
// for the assertions library, and the messages attached to it.
type synthesized struct {
	cfg      deploy.Config
	raw      map[string]any
	template assertions.Template
	messages []*cxapi.SynthesisMessage
	// nested are the nested stacks' templates, by their logical id in the
	// main stack, as synthesized.
	nested map[string]map[string]any
	// dir is the cloud assembly's directory.
	dir string
}

const testConfigPath = "testdata/config.json"

// testStack is the app built from testdata/config.json as "cdk synth -c
// config=..." builds it: a VPC, an existing alarm topic, every target kind.
var testStack = sync.OnceValues(func() (*synthesized, error) {
	return synthConfig(testConfigPath, filepath.Join(testDir, "cdk.out"))
})

// synthConfig builds and synthesizes the app from a config file into outdir,
// checking the assembly as synthesize does.
func synthConfig(configPath, outdir string) (*synthesized, error) {
	context := *defaultContext()
	context[configContextKey] = configPath
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:  jsii.String(outdir),
		Context: &context,
	})
	env := map[string]string{functionsDirEnvVar: fakeFunctionsDir()}
	in := appInputsFrom(app, func(key string) string { return env[key] })
	if err := buildApp(app, in); err != nil {
		return nil, err
	}
	cfg, err := deploy.LoadConfig(configPath)
	if err != nil {
		return nil, err
	}
	return readStack(app.Synth(nil), cfg)
}

func readStack(assembly cxapi.CloudAssembly, cfg deploy.Config) (*synthesized, error) {
	artifact := assembly.GetStackArtifact(jsii.String(cfg.Prefix))
	dir := *assembly.Directory()
	s := &synthesized{cfg: cfg, messages: *artifact.Messages(), nested: map[string]map[string]any{}, dir: dir}
	if err := readJSON(*artifact.TemplateFullPath(), &s.raw); err != nil {
		return nil, err
	}
	// The nested stacks' templates are file assets, named in the main
	// stack by their hash.
	var assets struct {
		Files map[string]struct {
			Source struct{ Path string } `json:"source"`
		} `json:"files"`
	}
	if err := readJSON(filepath.Join(dir, cfg.Prefix+".assets.json"), &assets); err != nil {
		return nil, err
	}
	resources := s.raw["Resources"].(map[string]any)
	merged := map[string]any{}
	for id, r := range resources {
		merged[id] = r
		resource := r.(map[string]any)
		if resource["Type"] != "AWS::CloudFormation::Stack" {
			continue
		}
		props := resource["Properties"].(map[string]any)
		url := props["TemplateURL"].(map[string]any)["Fn::Join"].([]any)[1].([]any)
		hash := strings.TrimSuffix(strings.TrimPrefix(url[len(url)-1].(string), "/"), ".json")
		var nested map[string]any
		if err := readJSON(filepath.Join(dir, assets.Files[hash].Source.Path), &nested); err != nil {
			return nil, err
		}
		s.nested[id] = nested
		parameters, _ := props["Parameters"].(map[string]any)
		for nestedID, nr := range nested["Resources"].(map[string]any) {
			if _, clash := merged[nestedID]; clash {
				return nil, fmt.Errorf("logical id %s is in two templates", nestedID)
			}
			merged[nestedID] = resolveParameters(nr, parameters)
		}
	}
	s.raw["Resources"] = merged
	s.template = assertions.Template_FromJSON(&s.raw, nil)
	return s, nil
}

// resolveParameters replaces each reference to a nested stack's parameter
// with the value the main stack passes it.
func resolveParameters(v any, parameters map[string]any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolveParameters(e, parameters)
		}
		return out
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if value, ok := parameters[ref]; ok {
				return value
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolveParameters(e, parameters)
		}
		return out
	}
	return v
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func synthTestStack(t *testing.T) *synthesized {
	t.Helper()
	s, err := testStack()
	if err != nil {
		t.Fatalf("synthesizing %s: %v", testConfigPath, err)
	}
	return s
}
