package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// synthesized is one synthesized stack: its template, both parsed and for
// the assertions library, and the messages attached to it.
type synthesized struct {
	cfg      deploy.Config
	raw      map[string]any
	template assertions.Template
	messages []*cxapi.SynthesisMessage
}

const testConfigPath = "testdata/config.json"

// testStack is the app built from testdata/config.json as "cdk synth -c
// config=..." builds it: a VPC, an existing alarm topic, every target kind.
var testStack = sync.OnceValues(func() (*synthesized, error) {
	app := awscdk.NewApp(&awscdk.AppProps{
		Outdir:  jsii.String(filepath.Join(testDir, "cdk.out")),
		Context: &map[string]any{configContextKey: testConfigPath},
	})
	env := map[string]string{functionsDirEnvVar: fakeFunctionsDir()}
	in := appInputsFrom(app, func(key string) string { return env[key] })
	if err := buildApp(app, in); err != nil {
		return nil, err
	}
	cfg, err := deploy.LoadConfig(testConfigPath)
	if err != nil {
		return nil, err
	}
	return readStack(app.Synth(nil), cfg)
})

func readStack(assembly cxapi.CloudAssembly, cfg deploy.Config) (*synthesized, error) {
	artifact := assembly.GetStackArtifact(jsii.String(cfg.Prefix))
	data, err := os.ReadFile(*artifact.TemplateFullPath())
	if err != nil {
		return nil, err
	}
	s := &synthesized{cfg: cfg, messages: *artifact.Messages()}
	if err := json.Unmarshal(data, &s.raw); err != nil {
		return nil, err
	}
	s.template = assertions.Template_FromJSON(&s.raw, nil)
	return s, nil
}

func synthTestStack(t *testing.T) *synthesized {
	t.Helper()
	s, err := testStack()
	if err != nil {
		t.Fatalf("synthesizing %s: %v", testConfigPath, err)
	}
	return s
}
