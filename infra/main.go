// Command infra is the ddrotate CDK app: it reads one configuration file,
// validates all of it, and only then defines the stack, checked by cdk-nag's
// AwsSolutions rules. It runs under the CDK CLI (cdk.json) or on its own
// with CDK_OUTDIR set, and needs no AWS credentials to synthesize.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Where the app finds its inputs. The config path comes from the CDK
// context ("cdk synth -c config=..."), else from the environment, else the
// documented example, so a fresh clone synthesizes as it is. The step
// Lambdas are where "make lambdas" builds them unless the environment says
// otherwise.
const (
	configContextKey    = "config"
	configEnvVar        = "DDROTATE_CONFIG"
	exampleConfigPath   = "ddrotate.config.example.json"
	functionsDirEnvVar  = "DDROTATE_FUNCTIONS_DIR"
	defaultFunctionsDir = "build/functions"
)

func main() {
	err := run()
	jsii.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddrotate:", err)
		os.Exit(1)
	}
}

func run() error {
	// The App takes its output directory (CDK_OUTDIR) and the CLI's context
	// from the environment.
	return synthesize(awscdk.NewApp(&awscdk.AppProps{Context: defaultContext()}), os.Getenv)
}

// defaultContext is the context the app synthesizes with unless the CDK CLI
// says otherwise: asset metadata on, as "cdk synth" has it, so that every
// resource built from an asset (a Lambda's code, a nested stack's
// template) names the asset's path in the cloud assembly, for tools that
// stand the assembly up locally.
func defaultContext() *map[string]any {
	return &map[string]any{assetMetadataContextKey: true}
}

// assetMetadataContextKey is the CDK's context key for asset metadata
// (cxapi's ASSET_RESOURCE_METADATA_ENABLED_CONTEXT).
const assetMetadataContextKey = "aws:cdk:enable-asset-metadata"

// synthesize builds the app from the inputs that app's context and getenv
// name, and writes the cloud assembly.
func synthesize(app awscdk.App, getenv func(string) string) error {
	if err := buildApp(app, appInputsFrom(app, getenv)); err != nil {
		return err
	}
	assembly := app.Synth(nil)
	return errors.Join(assemblyErrors(assembly), assemblyLimits(assembly))
}

// appInputs are the files the app is built from.
type appInputs struct {
	configPath   string
	functionsDir string // one folder per step, each with its bootstrap
}

func appInputsFrom(app awscdk.App, getenv func(string) string) appInputs {
	in := appInputs{configPath: exampleConfigPath, functionsDir: defaultFunctionsDir}
	if path := getenv(configEnvVar); path != "" {
		in.configPath = path
	}
	if dir := getenv(functionsDirEnvVar); dir != "" {
		in.functionsDir = dir
	}
	if path, ok := app.Node().TryGetContext(jsii.String(configContextKey)).(string); ok && path != "" {
		in.configPath = path
	}
	return in
}

// buildApp checks every input and only then adds the stack and the cdk-nag
// checks to app, so a bad input leaves app without a single construct.
func buildApp(app awscdk.App, in appInputs) error {
	cfg, err := deploy.LoadConfig(in.configPath)
	if err != nil {
		return err
	}
	if err := checkFunctionBundles(in.functionsDir); err != nil {
		return err
	}
	NewRotationStack(app, cfg.Prefix, &RotationStackProps{
		StackProps: awscdk.StackProps{
			Description: jsii.String("ddrotate: central rotation of Datadog credentials"),
			// The stack holds every team's credential; deleting it by mistake
			// must take a deliberate step.
			TerminationProtection: jsii.Bool(true),
		},
		Config:       cfg,
		FunctionsDir: in.functionsDir,
	})
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return nil
}

// checkFunctionBundles makes sure every step Lambda is built and has its
// permissions defined before anything refers to it.
func checkFunctionBundles(dir string) error {
	var missing []string
	for _, step := range deploy.Steps() {
		if _, ok := stepAccesses[step]; !ok {
			return fmt.Errorf("step %q has no permissions defined in the infra app", step)
		}
		bootstrap := filepath.Join(dir, string(step), "bootstrap")
		if _, err := os.Stat(bootstrap); err != nil {
			missing = append(missing, bootstrap)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("step Lambdas are not built (missing %s): run make lambdas first", strings.Join(missing, ", "))
	}
	return nil
}

// assemblyErrors fails the synth when cdk-nag (or CDK itself) reported an error
// that no suppression covers, as the CDK CLI would.
func assemblyErrors(assembly cxapi.CloudAssembly) error {
	var errs []error
	for _, stack := range *assembly.Stacks() {
		for _, message := range *stack.Messages() {
			if message.Level == cxapi.SynthesisMessageLevel_ERROR {
				errs = append(errs, fmt.Errorf("%s: %v", *message.Id, message.Entry.Data))
			}
		}
	}
	return errors.Join(errs...)
}
