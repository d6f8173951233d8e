package localstack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ddrotate/ddrotate/internal/asl"
	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/ddemu"
	"github.com/ddrotate/ddrotate/internal/iampolicy"
	"github.com/ddrotate/ddrotate/internal/lambdart"
	"github.com/ddrotate/ddrotate/shared/deploy"
)

// Options configure a Stack.
type Options struct {
	// TemplatePath is the stack's template in a cloud assembly (cdk.out);
	// nested stacks' templates are read from the same folder.
	TemplatePath string
	// SourceDir is the module root holding functions/<name> (default: the
	// current directory).
	SourceDir string
	// BuildDir receives the built bootstraps (default: a temporary folder
	// removed by Close).
	BuildDir string
	// Bootstraps, when set, maps a source folder name (create, verify, ...)
	// or a function name (ddrotate-create) to an already built bootstrap,
	// skipping the build for it. A function name lets a template carry a
	// function that has no functions/<name> folder (a test's stand-in).
	Bootstraps map[string]string
	// AWSAddr and DatadogAddr are where the emulators listen (default: any
	// free loopback port).
	AWSAddr, DatadogAddr string
	// Region and AccountID of the local deployment (default us-east-1,
	// 000000000000).
	Region, AccountID string
	// NoSeed leaves the secrets with the template's placeholder values and
	// the Datadog org empty but for the admin credential it always has.
	NoSeed bool
	// Clock drives the state machines' waits and the schedules (default:
	// the real clock).
	Clock asl.Clock
	// Logs receives the functions' output (default: discarded).
	Logs io.Writer
	// Site is the Datadog site of seeded credentials (default: the
	// DDROTATE_SITE the functions are given, else datadoghq.com).
	Site string
}

// Stack is a synthesized stack standing on this machine.
type Stack struct {
	Deployment *Deployment
	AWS        *awsemu.Server
	AWSURL     string
	Datadog    *ddemu.Server
	DatadogURL string
	Engine     *asl.Engine
	Functions  map[string]*lambdart.Function // by function name
	// Admin is the admin credential in the Datadog emulator.
	Admin ddemu.Admin
	// Accounts are the other AWS accounts the template names (team
	// accounts), each with an access key acting as that account.
	Accounts []Account
	// Seeded names the targets whose first credential was put.
	Seeded []string

	opts     Options
	ctx      context.Context
	cancel   context.CancelFunc
	buildDir string
	rootCfg  aws.Config
	wg       sync.WaitGroup
	closeMu  sync.Once
}

// Account is another AWS account the template trusts.
type Account struct {
	ID          string
	OrgID       string
	AccessKeyID string
	// Roles it may assume, with the ExternalId each requires (if any).
	Roles []AssumableRole
}

// AssumableRole is a role of the stack that an account may assume.
type AssumableRole struct {
	ARN, ExternalID string
}

// rootAccessKeyID acts as the deployment account's root in the emulator.
const rootAccessKeyID = "AKIALOCALSTACKROOT00"

// Start deploys the template into fresh emulators and starts its
// functions, state machines and schedules.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	opts.Region = cmp.Or(opts.Region, "us-east-1")
	opts.AccountID = cmp.Or(opts.AccountID, "000000000000")
	opts.SourceDir = cmp.Or(opts.SourceDir, ".")
	if opts.Clock == nil {
		opts.Clock = asl.RealClock()
	}
	if opts.Logs == nil {
		opts.Logs = io.Discard
	}
	tmpl, err := LoadTemplate(opts.TemplatePath)
	if err != nil {
		return nil, err
	}
	ls := &Stack{opts: opts, Functions: map[string]*lambdart.Function{}}
	ls.ctx, ls.cancel = context.WithCancel(context.WithoutCancel(ctx))
	defer func() {
		if err != nil {
			ls.Close()
		}
	}()

	seed, admin := ddemu.DefaultSeed()
	ls.Admin = admin
	ls.Datadog = ddemu.New(seed, ddemu.WithClock(opts.Clock.Now))
	if ls.DatadogURL, err = ls.Datadog.Listen(cmp.Or(opts.DatadogAddr, "127.0.0.1:0")); err != nil {
		return nil, err
	}
	ls.AWS = awsemu.New(awsemu.Options{AccountID: opts.AccountID, Region: opts.Region, Now: opts.Clock.Now})
	if ls.AWSURL, err = ls.AWS.Listen(cmp.Or(opts.AWSAddr, "127.0.0.1:0")); err != nil {
		return nil, err
	}
	ls.rootCfg = aws.Config{
		Region: opts.Region, BaseEndpoint: aws.String(ls.AWSURL), RetryMaxAttempts: 3,
		Credentials: credentials.NewStaticCredentialsProvider(rootAccessKeyID, "local", ""),
	}

	stackName := strings.TrimSuffix(filepath.Base(opts.TemplatePath), ".template.json")
	dep := &Deployment{StackName: stackName, Region: opts.Region, Account: opts.AccountID,
		Roles: map[string]*Role{}, Topics: map[string]*Topic{}, Keys: map[string]*Key{}, Aliases: map[string]string{},
		Outputs: map[string]string{}, managed: map[string]*iampolicy.Policy{}}
	d := &deployer{ctx: ctx, aws: ls.AWS, secrets: secretsmanager.NewFromConfig(ls.rootCfg), sns: sns.NewFromConfig(ls.rootCfg), dep: dep, now: opts.Clock.Now()}
	st := newStackDeploy(d, stackName, filepath.Dir(opts.TemplatePath), tmpl, map[string]any{})
	if err := st.deployAll(); err != nil {
		return nil, fmt.Errorf("deploy %s: %w", opts.TemplatePath, err)
	}
	dep.Outputs = st.outputs
	sort.Slice(dep.Functions, func(i, j int) bool { return dep.Functions[i].Name < dep.Functions[j].Name })
	sort.Slice(dep.Machines, func(i, j int) bool { return dep.Machines[i].Name < dep.Machines[j].Name })
	ls.Deployment = dep
	ls.AWS.SetAuthorizer(dep)
	ls.setUpAccounts()

	if err := ls.startFunctions(); err != nil {
		return nil, err
	}
	if err := ls.startMachines(); err != nil {
		return nil, err
	}
	ls.AWS.MountJSON((&stepFunctions{ls: ls}).service())
	ls.AWS.MountREST((&lambdaAPI{ls: ls}).service())
	ls.AWS.MountJSON((&eventsAPI{ls: ls}).service())
	if !opts.NoSeed {
		if err := ls.seed(ctx); err != nil {
			return nil, err
		}
	}
	if err := ls.startSchedules(); err != nil {
		return nil, err
	}
	return ls, nil
}

// Close stops the schedules, the functions and the emulators.
func (ls *Stack) Close() {
	ls.closeMu.Do(func() {
		ls.cancel()
		ls.wg.Wait()
		for _, f := range ls.Functions {
			f.Close()
		}
		if ls.AWS != nil {
			_ = ls.AWS.Close()
		}
		if ls.Datadog != nil {
			_ = ls.Datadog.Close()
		}
		if ls.buildDir != "" {
			_ = os.RemoveAll(ls.buildDir)
		}
	})
}

var accountID = regexp.MustCompile(`^(?:arn:aws:iam::)?([0-9]{12})(?::root)?$`)

// setUpAccounts gives every other account the template's policies name an
// access key, and records the organization the template says it is in.
func (ls *Stack) setUpAccounts() {
	dep := ls.Deployment
	accounts := map[string]*Account{}
	note := func(p *iampolicy.Policy, roleARN string) {
		if p == nil {
			return
		}
		for _, st := range p.Statements {
			if st.Principal == nil {
				continue
			}
			org, ext := "", ""
			for op, keys := range st.Condition {
				if !strings.HasPrefix(op, "StringEquals") && !strings.HasPrefix(op, "StringLike") {
					continue
				}
				for k, v := range keys {
					switch strings.ToLower(k) {
					case "aws:principalorgid":
						org = v[0]
					case "sts:externalid":
						ext = v[0]
					}
				}
			}
			for _, a := range st.Principal.AWS {
				m := accountID.FindStringSubmatch(a)
				if m == nil || m[1] == dep.Account {
					continue
				}
				acct, ok := accounts[m[1]]
				if !ok {
					acct = &Account{ID: m[1], AccessKeyID: "AKIA" + m[1] + "TEAM"}
					accounts[m[1]] = acct
				}
				if org != "" {
					acct.OrgID = org
				}
				if roleARN != "" && strings.Contains(strings.ToLower(strings.Join(st.Action, ",")), "sts:assumerole") {
					acct.Roles = append(acct.Roles, AssumableRole{ARN: roleARN, ExternalID: ext})
				}
			}
		}
	}
	for _, r := range dep.Roles {
		note(r.Trust, r.ARN)
	}
	for _, t := range dep.Topics {
		note(t.Policy, "")
	}
	for _, s := range dep.Secrets {
		note(s.Policy, "")
	}
	for _, k := range dep.Keys {
		note(k.Policy, "")
	}
	for _, a := range accounts {
		sort.Slice(a.Roles, func(i, j int) bool { return a.Roles[i].ARN < a.Roles[j].ARN })
		ls.AWS.AddAccessKey(a.AccessKeyID, a.ID)
		if a.OrgID != "" {
			// The local stand-in: an account the template names in a
			// statement conditioned on an organization is a member of it.
			ls.AWS.SetAccountOrganization(a.ID, a.OrgID)
		}
		ls.Accounts = append(ls.Accounts, *a)
	}
	sort.Slice(ls.Accounts, func(i, j int) bool { return ls.Accounts[i].ID < ls.Accounts[j].ID })
}

// startFunctions builds every function's bootstrap and readies its pool.
func (ls *Stack) startFunctions() error {
	dep := ls.Deployment
	folders := map[string]string{}
	var toBuild []string
	for _, fn := range dep.Functions {
		if _, ok := ls.opts.Bootstraps[fn.Name]; ok {
			folders[fn.Name] = fn.Name
			continue
		}
		folder, err := SourceFolder(ls.opts.SourceDir, fn)
		if err != nil {
			return err
		}
		folders[fn.Name] = folder
		if _, ok := ls.opts.Bootstraps[folder]; !ok && !slices.Contains(toBuild, folder) {
			toBuild = append(toBuild, folder)
		}
	}
	bins := map[string]string{}
	for k, v := range ls.opts.Bootstraps {
		bins[k] = v
	}
	if len(toBuild) > 0 {
		dir := ls.opts.BuildDir
		if dir == "" {
			tmp, err := os.MkdirTemp("", "ddrotate-local-")
			if err != nil {
				return err
			}
			ls.buildDir, dir = tmp, tmp
		} else if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		built, err := BuildBootstraps(ls.opts.SourceDir, dir, toBuild)
		if err != nil {
			return err
		}
		for k, v := range built {
			bins[k] = v
		}
	}
	for _, fn := range dep.Functions {
		env := map[string]string{}
		for k, v := range fn.Environment {
			env[k] = v
		}
		env["AWS_ENDPOINT_URL"] = ls.AWSURL
		env[deploy.EnvDatadogEndpoint] = ls.DatadogURL
		fn := fn
		ls.Functions[fn.Name] = lambdart.New(lambdart.Config{
			Name: fn.Name, ARN: fn.ARN, Binary: bins[folders[fn.Name]], Timeout: fn.Timeout, MemoryMB: fn.MemoryMB,
			Region: dep.Region, Env: env, Logs: prefixWriter(ls.opts.Logs, fn.Name),
			Credentials: func() (lambdart.Credentials, error) {
				c, err := ls.AWS.IssueSession(fn.RoleARN, fn.Name, 12*time.Hour)
				return lambdart.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, err
			},
		})
	}
	return nil
}

// binaryHandler is a function as the executor calls it: through the
// Runtime API of its real bootstrap.
type binaryHandler struct{ fn *lambdart.Function }

func (h binaryHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	res, err := h.fn.Invoke(ctx, payload)
	if err != nil {
		return nil, err
	}
	if doc, failed := res.Error(); failed {
		return nil, messages.InvokeResponse_Error{Message: doc.ErrorMessage, Type: doc.ErrorType}
	}
	return res.Payload, nil
}

// startMachines registers the state machines with the executor; their
// Task calls are authorized against their roles.
func (ls *Stack) startMachines() error {
	dep := ls.Deployment
	ls.Engine = asl.NewEngine(asl.EngineOptions{
		Region: dep.Region, AccountID: dep.Account, Clock: ls.opts.Clock,
		Authorize: ls.authorizeTask,
	})
	for _, fn := range dep.Functions {
		ls.Engine.SetFunction(fn.ARN, binaryHandler{ls.Functions[fn.Name]})
	}
	for _, m := range dep.Machines {
		if _, err := ls.Engine.Register(m.Name, []byte(m.Definition), m.Substitutions); err != nil {
			return fmt.Errorf("state machine %s: %w", m.Name, err)
		}
	}
	return nil
}

func (ls *Stack) machineByARN(arn string) *Machine {
	for _, m := range ls.Deployment.Machines {
		if m.ARN == arn {
			return m
		}
	}
	return nil
}

// authorizeTask decides a Task's service call against its state
// machine's role, as Step Functions makes it with that role.
func (ls *Stack) authorizeTask(x *asl.Execution, action, resource string) (string, string) {
	dep := ls.Deployment
	m := ls.machineByARN(x.StateMachineARN())
	if m == nil {
		return "", ""
	}
	session := "local-" + x.Name()
	if len(session) > 64 {
		session = session[:64]
	}
	errName, svc := "Lambda.AWSLambdaException", "AWSLambda"
	if strings.HasPrefix(action, "lambda:") && !strings.HasPrefix(resource, "arn:") {
		resource = "arn:aws:lambda:" + dep.Region + ":" + dep.Account + ":function:" + resource
	}
	if strings.HasPrefix(action, "states:") {
		errName, svc = "StepFunctions.AWSStepFunctionsException", "AWSStepFunctions"
	}
	deny := func(action, resource, reason, code string) (string, string) {
		return errName, fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because %s (Service: %s; Status Code: 403; Error Code: %s)",
			sessionARN(m.RoleARN, session), action, resource, reason, svc, code)
	}
	if d := dep.authorizeRole(m.RoleARN, session, action, resource, nil); !d.Allowed {
		return deny(action, resource, d.Reason, "AccessDeniedException")
	}
	if action == "states:StartExecution" {
		if child := ls.machineByARN(resource); child != nil && child.KMSKeyARN != "" {
			if d := dep.authorizeRole(m.RoleARN, session, "kms:GenerateDataKey", child.KMSKeyARN, kmsStatesContext(dep, child)); !d.Allowed {
				return deny("kms:GenerateDataKey", child.KMSKeyARN, d.Reason, "KmsAccessDeniedException")
			}
		}
	}
	return "", ""
}

func kmsStatesContext(dep *Deployment, m *Machine) map[string][]string {
	return map[string][]string{
		"kms:ViaService": {"states." + dep.Region + ".amazonaws.com"},
		"kms:EncryptionContext:aws:states:stateMachineArn": {m.ARN},
		"kms:EncryptionContextKeys":                        {"aws:states:stateMachineArn"},
		"kms:CallerAccount":                                {dep.Account},
	}
}

// prefixWriter prefixes each line a function writes with its name.
func prefixWriter(w io.Writer, name string) io.Writer {
	if w == io.Discard {
		return w
	}
	return &linePrefixer{w: w, prefix: []byte(name + " | ")}
}

type linePrefixer struct {
	mu     sync.Mutex
	w      io.Writer
	prefix []byte
	buf    []byte
}

func (p *linePrefixer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := slices.Index(p.buf, '\n')
		if i < 0 {
			break
		}
		line := append(append([]byte{}, p.prefix...), p.buf[:i+1]...)
		if _, err := p.w.Write(line); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

var errNoSchedule = errors.New("not a schedule expression")
