package localstack

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/ddrotate/ddrotate/internal/awsemu"
	"github.com/ddrotate/ddrotate/internal/iampolicy"
)

// Deployment is what a template stood up: every resource the local stack
// emulates, with its local names and ARNs.
type Deployment struct {
	StackName       string
	Region, Account string

	Functions []*Function
	Machines  []*Machine
	Rules     []*Rule
	Roles     map[string]*Role // by ARN
	Secrets   []*Secret
	Topics    map[string]*Topic // by ARN
	Keys      map[string]*Key   // by ARN
	Aliases   map[string]string // alias/name → key ARN
	Outputs   map[string]string
	// NotEmulated lists the resources deployed as names only (alarms, log
	// groups, ...): nothing runs behind them locally.
	NotEmulated []string

	managed map[string]*iampolicy.Policy // customer managed policies by ARN
}

// Function is an AWS::Lambda::Function.
type Function struct {
	LogicalID   string
	Name, ARN   string
	RoleARN     string
	Environment map[string]string
	Timeout     time.Duration
	MemoryMB    int
	// AssetPath is the folder the CDK bundled the code from, if known.
	AssetPath string
}

// Machine is an AWS::StepFunctions::StateMachine.
type Machine struct {
	LogicalID     string
	Name, ARN     string
	RoleARN       string
	Type          string
	Definition    string
	Substitutions map[string]string
	KMSKeyARN     string
	Logging       map[string]any
	Tracing       map[string]any
	Created       time.Time
}

// Rule is an AWS::Events::Rule.
type Rule struct {
	Name, ARN   string
	Description string
	Schedule    string
	Enabled     bool
	Targets     []RuleTarget
}

// RuleTarget is one target of a rule.
type RuleTarget struct {
	ID, ARN, RoleARN, Input string
}

// Role is an AWS::IAM::Role with the policies attached to it.
type Role struct {
	Name, ARN string
	Trust     *iampolicy.Policy
	Policies  []*iampolicy.Policy
}

// Secret is an AWS::SecretsManager::Secret.
type Secret struct {
	LogicalID string
	Name, ARN string
	KMSKey    string
	Tags      map[string]string
	Policy    *iampolicy.Policy
}

// Topic is an AWS::SNS::Topic.
type Topic struct {
	Name, ARN string
	Attrs     awsemu.TopicAttributes
	Policy    *iampolicy.Policy
}

// Key is an AWS::KMS::Key.
type Key struct {
	ID, ARN string
	Policy  *iampolicy.Policy
}

// deployer creates resources in the emulators.
type deployer struct {
	ctx     context.Context
	aws     *awsemu.Server
	secrets *secretsmanager.Client
	sns     *sns.Client
	dep     *Deployment
	now     time.Time
}

type deployed struct {
	ref   any
	attrs map[string]any
}

// stackDeploy deploys one (possibly nested) stack.
type stackDeploy struct {
	d            *deployer
	name         string
	tmpl         *Template
	dir          string
	region, acct string
	params       map[string]any
	done         map[string]*deployed
	busy         map[string]bool
	conds        map[string]bool
	r            *resolver
	outputs      map[string]string
}

func newStackDeploy(d *deployer, name, dir string, tmpl *Template, params map[string]any) *stackDeploy {
	st := &stackDeploy{d: d, name: name, tmpl: tmpl, dir: dir, region: d.dep.Region, acct: d.dep.Account,
		params: params, done: map[string]*deployed{}, busy: map[string]bool{}, conds: map[string]bool{}, outputs: map[string]string{}}
	st.r = &resolver{st: st}
	return st
}

func (st *stackDeploy) deployAll() error {
	for _, id := range st.tmpl.logicalIDs() {
		if _, err := st.deploy(id); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(st.tmpl.Outputs))
	for n := range st.tmpl.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		o := st.tmpl.Outputs[n]
		if o.Condition != "" {
			if ok, err := st.condition(o.Condition); err != nil || !ok {
				continue
			}
		}
		v, err := st.r.resolveString(o.Value)
		if err != nil {
			return fmt.Errorf("output %s: %w", n, err)
		}
		st.outputs[n] = v
	}
	return nil
}

func (st *stackDeploy) condition(name string) (bool, error) {
	if v, ok := st.conds[name]; ok {
		return v, nil
	}
	c, ok := st.tmpl.Conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition %q", name)
	}
	v, err := st.r.condArg(c)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	st.conds[name] = v
	return v, nil
}

func (st *stackDeploy) ref(name string) (any, error) {
	switch name {
	case "AWS::AccountId":
		return st.acct, nil
	case "AWS::Region":
		return st.region, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackName":
		return st.name, nil
	case "AWS::StackId":
		return "arn:aws:cloudformation:" + st.region + ":" + st.acct + ":stack/" + st.name + "/" + uuidFrom(st.name), nil
	case "AWS::NoValue":
		return noValue{}, nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	}
	if p, ok := st.tmpl.Parameters[name]; ok {
		if v, ok := st.params[name]; ok {
			return v, nil
		}
		if strings.HasPrefix(p.Type, "AWS::SSM::Parameter::Value") {
			return "", nil // SSM parameters (the CDK bootstrap version) have no local value
		}
		if p.Default != nil {
			return p.Default, nil
		}
		return nil, fmt.Errorf("parameter %s has no value", name)
	}
	d, err := st.deploy(name)
	if err != nil {
		return nil, err
	}
	return d.ref, nil
}

func (st *stackDeploy) getAtt(logical, attr string) (any, error) {
	d, err := st.deploy(logical)
	if err != nil {
		return nil, err
	}
	v, ok := d.attrs[attr]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: attribute not supported by the local stack", logical, attr)
	}
	return v, nil
}

func (st *stackDeploy) deploy(logical string) (*deployed, error) {
	if d, ok := st.done[logical]; ok {
		return d, nil
	}
	res, ok := st.tmpl.Resources[logical]
	if !ok {
		return nil, fmt.Errorf("no resource or parameter %q", logical)
	}
	if st.busy[logical] {
		return nil, fmt.Errorf("resource %s depends on itself", logical)
	}
	st.busy[logical] = true
	defer delete(st.busy, logical)
	if res.Condition != "" {
		holds, err := st.condition(res.Condition)
		if err != nil {
			return nil, err
		}
		if !holds {
			d := &deployed{ref: noValue{}, attrs: map[string]any{}}
			st.done[logical] = d
			return d, nil
		}
	}
	switch deps := res.DependsOn.(type) {
	case string:
		if _, err := st.deploy(deps); err != nil {
			return nil, err
		}
	case []any:
		for _, dep := range deps {
			if s, ok := dep.(string); ok {
				if _, err := st.deploy(s); err != nil {
					return nil, err
				}
			}
		}
	}
	propsV, err := st.r.resolve(res.Properties)
	if err != nil {
		return nil, fmt.Errorf("resource %s: %w", logical, err)
	}
	props, _ := propsV.(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	d, err := st.create(logical, res, props)
	if err != nil {
		return nil, fmt.Errorf("resource %s (%s): %w", logical, res.Type, err)
	}
	st.done[logical] = d
	return d, nil
}

func str(props map[string]any, key string) string {
	switch v := props[key].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func strList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func uuidFrom(seed string) string {
	s := sha256.Sum256([]byte(seed))
	return fmt.Sprintf("%x-%x-4%x-8%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])[:36]
}

func (st *stackDeploy) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + st.region + ":" + st.acct + ":" + resource
}

// create deploys one resource whose properties are resolved.
func (st *stackDeploy) create(logical string, res *Resource, props map[string]any) (*deployed, error) {
	dep := st.d.dep
	nameOr := func(key string, maxLen int) string {
		if n := str(props, key); n != "" {
			return n
		}
		return physicalName(st.name, logical, maxLen)
	}
	switch res.Type {
	case "AWS::KMS::Key":
		id := uuidFrom(st.name + "/" + logical)
		arn := st.arn("kms", "key/"+id)
		k := &Key{ID: id, ARN: arn}
		if p, ok := props["KeyPolicy"]; ok {
			pol, err := iampolicy.FromValue("key policy of "+arn, p)
			if err != nil {
				return nil, err
			}
			k.Policy = pol
		}
		dep.Keys[arn] = k
		return &deployed{ref: id, attrs: map[string]any{"Arn": arn, "KeyId": id}}, nil
	case "AWS::KMS::Alias":
		alias := str(props, "AliasName")
		target := str(props, "TargetKeyId")
		dep.Aliases[alias] = dep.keyARN(target)
		return &deployed{ref: alias, attrs: map[string]any{}}, nil
	case "AWS::SNS::Topic":
		name := nameOr("TopicName", 256)
		t := &Topic{Name: name, Attrs: awsemu.TopicAttributes{DisplayName: str(props, "DisplayName"), KmsMasterKeyID: str(props, "KmsMasterKeyId")}}
		t.ARN = st.d.aws.CreateTopicWith(name, t.Attrs)
		dep.Topics[t.ARN] = t
		for _, sub := range asMaps(props["Subscription"]) {
			if _, err := st.d.subscribe(t.ARN, str(sub, "Protocol"), str(sub, "Endpoint"), nil); err != nil {
				return nil, err
			}
		}
		return &deployed{ref: t.ARN, attrs: map[string]any{"TopicArn": t.ARN, "TopicName": name}}, nil
	case "AWS::SNS::TopicPolicy":
		pol, err := iampolicy.FromValue("topic policy "+logical, props["PolicyDocument"])
		if err != nil {
			return nil, err
		}
		doc, _ := json.Marshal(props["PolicyDocument"])
		for _, arn := range strList(props["Topics"]) {
			t, ok := dep.Topics[arn]
			if !ok {
				return nil, fmt.Errorf("topic %s is not in the template", arn)
			}
			t.Policy = pol
			t.Attrs.Policy = string(doc)
			st.d.aws.CreateTopicWith(t.Name, t.Attrs)
		}
		return &deployed{ref: logical, attrs: map[string]any{}}, nil
	case "AWS::SNS::Subscription":
		arn, err := st.d.subscribe(str(props, "TopicArn"), str(props, "Protocol"), str(props, "Endpoint"), props)
		if err != nil {
			return nil, err
		}
		return &deployed{ref: arn, attrs: map[string]any{"Arn": arn}}, nil
	case "AWS::SecretsManager::Secret":
		return st.createSecret(logical, nameOr("Name", 512), props)
	case "AWS::SecretsManager::ResourcePolicy":
		id := str(props, "SecretId")
		pol, err := iampolicy.FromValue("resource policy of "+id, props["ResourcePolicy"])
		if err != nil {
			return nil, err
		}
		for _, s := range dep.Secrets {
			if s.ARN == id || s.Name == id {
				s.Policy = pol
			}
		}
		return &deployed{ref: id, attrs: map[string]any{"Id": id}}, nil
	case "AWS::IAM::Role":
		name := nameOr("RoleName", 64)
		role := &Role{Name: name}
		maxSession := time.Hour
		if v := str(props, "MaxSessionDuration"); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				maxSession = time.Duration(n) * time.Second
			}
		}
		role.ARN = st.d.aws.AddRole(awsemu.Role{Name: name, PolicyControlled: true, MaxSessionDuration: maxSession})
		trust, err := iampolicy.FromValue("trust policy of "+role.ARN, props["AssumeRolePolicyDocument"])
		if err != nil {
			return nil, err
		}
		role.Trust = trust
		for _, p := range asMaps(props["Policies"]) {
			pol, err := iampolicy.FromValue(role.ARN+"/"+str(p, "PolicyName"), p["PolicyDocument"])
			if err != nil {
				return nil, err
			}
			role.Policies = append(role.Policies, pol)
		}
		for _, m := range strList(props["ManagedPolicyArns"]) {
			if mp, ok := dep.managed[m]; ok {
				role.Policies = append(role.Policies, mp)
			} else {
				dep.NotEmulated = append(dep.NotEmulated, fmt.Sprintf("%s: managed policy %s (its statements are not known locally; nothing it grants is allowed)", logical, m))
			}
		}
		dep.Roles[role.ARN] = role
		return &deployed{ref: name, attrs: map[string]any{"Arn": role.ARN, "RoleId": "AROA" + strings.ToUpper(uuidFrom(role.ARN)[:17])}}, nil
	case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
		name := nameOr("PolicyName", 128)
		if res.Type == "AWS::IAM::ManagedPolicy" {
			name = nameOr("ManagedPolicyName", 128)
		}
		arn := "arn:aws:iam::" + st.acct + ":policy/" + name
		pol, err := iampolicy.FromValue(name, props["PolicyDocument"])
		if err != nil {
			return nil, err
		}
		if res.Type == "AWS::IAM::ManagedPolicy" {
			pol.Name = arn
			dep.managed[arn] = pol
		}
		for _, roleName := range strList(props["Roles"]) {
			r := dep.roleByName(roleName)
			if r == nil {
				return nil, fmt.Errorf("role %s is not in the template", roleName)
			}
			r.Policies = append(r.Policies, pol)
		}
		if len(strList(props["Users"]))+len(strList(props["Groups"])) > 0 {
			dep.NotEmulated = append(dep.NotEmulated, logical+": policies of IAM users and groups")
		}
		if res.Type == "AWS::IAM::ManagedPolicy" {
			return &deployed{ref: arn, attrs: map[string]any{"PolicyArn": arn}}, nil
		}
		return &deployed{ref: name, attrs: map[string]any{"Id": name}}, nil
	case "AWS::Lambda::Function":
		name := nameOr("FunctionName", 64)
		fn := &Function{LogicalID: logical, Name: name, ARN: st.arn("lambda", "function:"+name), RoleARN: str(props, "Role"),
			Environment: map[string]string{}, Timeout: 3 * time.Second, MemoryMB: 128}
		if v := str(props, "Timeout"); v != "" {
			n, _ := strconv.Atoi(v)
			fn.Timeout = time.Duration(n) * time.Second
		}
		if v := str(props, "MemorySize"); v != "" {
			fn.MemoryMB, _ = strconv.Atoi(v)
		}
		if env, ok := props["Environment"].(map[string]any); ok {
			if vars, ok := env["Variables"].(map[string]any); ok {
				for k := range vars {
					fn.Environment[k] = str(vars, k)
				}
			}
		}
		if p, ok := res.Metadata["aws:asset:path"].(string); ok {
			fn.AssetPath = p
		}
		dep.Functions = append(dep.Functions, fn)
		return &deployed{ref: name, attrs: map[string]any{"Arn": fn.ARN}}, nil
	case "AWS::Logs::LogGroup":
		name := nameOr("LogGroupName", 512)
		dep.NotEmulated = append(dep.NotEmulated, logical+": log group "+name+" (step logs go to the serve's output)")
		return &deployed{ref: name, attrs: map[string]any{"Arn": st.arn("logs", "log-group:"+name+":*")}}, nil
	case "AWS::StepFunctions::StateMachine":
		return st.createMachine(logical, nameOr("StateMachineName", 80), props)
	case "AWS::Events::Rule":
		name := nameOr("Name", 64)
		rule := &Rule{Name: name, ARN: st.arn("events", "rule/"+name), Description: str(props, "Description"),
			Schedule: str(props, "ScheduleExpression"), Enabled: str(props, "State") != "DISABLED"}
		for _, t := range asMaps(props["Targets"]) {
			rule.Targets = append(rule.Targets, RuleTarget{ID: str(t, "Id"), ARN: str(t, "Arn"), RoleARN: str(t, "RoleArn"), Input: str(t, "Input")})
		}
		if rule.Schedule == "" {
			dep.NotEmulated = append(dep.NotEmulated, logical+": event pattern rule "+name+" (only schedules fire locally)")
		}
		dep.Rules = append(dep.Rules, rule)
		return &deployed{ref: name, attrs: map[string]any{"Arn": rule.ARN}}, nil
	case "AWS::CloudFormation::Stack":
		return st.createNested(logical, props, res)
	case "AWS::CDK::Metadata":
		return &deployed{ref: logical, attrs: map[string]any{}}, nil
	}
	name := logical
	for _, key := range []string{"AlarmName", "Name"} {
		if n := str(props, key); n != "" {
			name = n
		}
	}
	dep.NotEmulated = append(dep.NotEmulated, logical+": "+res.Type)
	return &deployed{ref: name, attrs: map[string]any{"Arn": "arn:aws:local:" + st.region + ":" + st.acct + ":" + logical}}, nil
}

func asMaps(v any) []map[string]any {
	list, _ := v.([]any)
	var out []map[string]any
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (dep *Deployment) roleByName(name string) *Role {
	for _, r := range dep.Roles {
		if r.Name == name || r.ARN == name {
			return r
		}
	}
	return nil
}

// keyARN resolves a key id, key ARN or alias to the key's ARN.
func (dep *Deployment) keyARN(id string) string {
	if k, ok := dep.Keys[id]; ok {
		return k.ARN
	}
	for arn, k := range dep.Keys {
		if k.ID == id {
			return arn
		}
	}
	name := id
	if i := strings.Index(id, ":alias/"); i >= 0 {
		name = id[i+1:]
	}
	if arn, ok := dep.Aliases[name]; ok {
		return arn
	}
	return id
}

func (st *stackDeploy) createSecret(logical, name string, props map[string]any) (*deployed, error) {
	value := str(props, "SecretString")
	if gen, ok := props["GenerateSecretString"].(map[string]any); ok || value == "" {
		password := randomPassword(32)
		value = password
		if tmpl := str(gen, "SecretStringTemplate"); tmpl != "" {
			var m map[string]any
			if err := json.Unmarshal([]byte(tmpl), &m); err != nil {
				return nil, fmt.Errorf("GenerateSecretString.SecretStringTemplate: %w", err)
			}
			m[str(gen, "GenerateStringKey")] = password
			b, _ := json.Marshal(m)
			value = string(b)
		}
	}
	in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}
	if v := str(props, "Description"); v != "" {
		in.Description = aws.String(v)
	}
	if v := str(props, "KmsKeyId"); v != "" {
		in.KmsKeyId = aws.String(v)
	}
	tags := map[string]string{}
	for _, t := range asMaps(props["Tags"]) {
		in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(str(t, "Key")), Value: aws.String(str(t, "Value"))})
		tags[str(t, "Key")] = str(t, "Value")
	}
	out, err := st.d.secrets.CreateSecret(st.d.ctx, in)
	if err != nil {
		return nil, err
	}
	s := &Secret{LogicalID: logical, Name: name, ARN: aws.ToString(out.ARN), KMSKey: str(props, "KmsKeyId"), Tags: tags}
	st.d.dep.Secrets = append(st.d.dep.Secrets, s)
	return &deployed{ref: s.ARN, attrs: map[string]any{"Id": s.ARN}}, nil
}

func randomPassword(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func (d *deployer) subscribe(topicARN, protocol, endpoint string, props map[string]any) (string, error) {
	in := &sns.SubscribeInput{TopicArn: aws.String(topicARN), Protocol: aws.String(protocol), Endpoint: aws.String(endpoint),
		ReturnSubscriptionArn: true, Attributes: map[string]string{}}
	if props != nil {
		if fp, ok := props["FilterPolicy"]; ok {
			b, _ := json.Marshal(fp)
			in.Attributes["FilterPolicy"] = string(b)
		}
		if v := str(props, "FilterPolicyScope"); v != "" {
			in.Attributes["FilterPolicyScope"] = v
		}
		if v := str(props, "RawMessageDelivery"); v != "" {
			in.Attributes["RawMessageDelivery"] = v
		}
	}
	out, err := d.sns.Subscribe(d.ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.SubscriptionArn), nil
}

func (st *stackDeploy) createMachine(logical, name string, props map[string]any) (*deployed, error) {
	m := &Machine{LogicalID: logical, Name: name, ARN: st.arn("states", "stateMachine:"+name), RoleARN: str(props, "RoleArn"),
		Type: str(props, "StateMachineType"), Substitutions: map[string]string{}, Created: st.d.now}
	if m.Type == "" {
		m.Type = "STANDARD"
	}
	m.Definition = str(props, "DefinitionString")
	if m.Definition == "" {
		if def, ok := props["Definition"]; ok {
			b, _ := json.Marshal(def)
			m.Definition = string(b)
		}
	}
	if m.Definition == "" {
		return nil, fmt.Errorf("no DefinitionString or Definition (DefinitionS3Location is not supported locally)")
	}
	if subs, ok := props["DefinitionSubstitutions"].(map[string]any); ok {
		for k := range subs {
			m.Substitutions[k] = str(subs, k)
		}
	}
	if enc, ok := props["EncryptionConfiguration"].(map[string]any); ok && str(enc, "Type") == "CUSTOMER_MANAGED_KMS_KEY" {
		m.KMSKeyARN = st.d.dep.keyARN(str(enc, "KmsKeyId"))
	}
	m.Logging, _ = props["LoggingConfiguration"].(map[string]any)
	m.Tracing, _ = props["TracingConfiguration"].(map[string]any)
	st.d.dep.Machines = append(st.d.dep.Machines, m)
	return &deployed{ref: m.ARN, attrs: map[string]any{"Arn": m.ARN, "Name": name}}, nil
}

func (st *stackDeploy) createNested(logical string, props map[string]any, res *Resource) (*deployed, error) {
	path, _ := res.Metadata["aws:asset:path"].(string)
	if path == "" {
		return nil, fmt.Errorf("nested stack without aws:asset:path metadata: its template cannot be found in the cloud assembly")
	}
	tmpl, err := LoadTemplate(filepath.Join(st.dir, path))
	if err != nil {
		return nil, err
	}
	params := map[string]any{}
	if p, ok := props["Parameters"].(map[string]any); ok {
		params = p
	}
	child := newStackDeploy(st.d, physicalName(st.name, logical, 128), st.dir, tmpl, params)
	if err := child.deployAll(); err != nil {
		return nil, fmt.Errorf("nested stack %s: %w", logical, err)
	}
	attrs := map[string]any{}
	for k, v := range child.outputs {
		attrs["Outputs."+k] = v
	}
	return &deployed{ref: child.name, attrs: attrs}, nil
}
