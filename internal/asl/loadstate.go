package asl

import (
	"errors"
	"fmt"
	"slices"
)

// stateFields lists, per state type, the fields the executor supports
// besides Type and Comment.
var stateFields = map[string][]string{
	"Pass":     {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultPath", "Result"},
	"Task":     {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Resource", "TimeoutSeconds", "Retry", "Catch"},
	"Choice":   {"InputPath", "OutputPath", "Choices", "Default"},
	"Wait":     {"Next", "End", "InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
	"Succeed":  {"InputPath", "OutputPath"},
	"Fail":     {"Error", "ErrorPath", "Cause", "CausePath"},
	"Parallel": {"Next", "End", "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Branches", "Retry", "Catch"},
	"Map": {"Next", "End", "InputPath", "OutputPath", "ItemsPath", "ItemSelector", "Parameters", "ItemProcessor", "Iterator", "MaxConcurrency", "ResultPath", "ResultSelector", "Retry", "Catch",
		// Distributed mode only.
		"Label", "MaxConcurrencyPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath"},
}

func parseState(f fields, name string) (*state, error) {
	typ, err := f.str("Type", true)
	if err != nil {
		return nil, err
	}
	allowed, ok := stateFields[typ]
	if !ok {
		return nil, f.errorf("Type", "unknown or unsupported state type %q", typ)
	}
	if err := f.only(append([]string{"Type", "Comment", "QueryLanguage"}, allowed...)...); err != nil {
		return nil, err
	}
	if err := checkQueryLanguage(f); err != nil {
		return nil, err
	}
	st := &state{name: name, qualified: f.state, typ: typ}
	if err := st.parseCommon(f, allowed); err != nil {
		return nil, err
	}
	switch typ {
	case "Pass":
		st.result, st.hasResult = f.m["Result"]
	case "Task":
		st.task, err = parseTask(f, st.parameters)
	case "Choice":
		st.choice, err = parseChoice(f)
	case "Wait":
		st.wait, err = parseWait(f)
	case "Fail":
		st.fail, err = parseFail(f)
	case "Map":
		st.mapState, err = parseMap(f, st)
	case "Parallel":
		st.branches, err = parseBranches(f)
	}
	return st, err
}

// parseCommon reads the fields several types share: the transition and the
// input and output processing.
func (st *state) parseCommon(f fields, allowed []string) error {
	var err error
	if slices.Contains(allowed, "End") {
		if st.next, err = f.str("Next", false); err != nil {
			return err
		}
		end, err := f.boolean("End")
		if err != nil {
			return err
		}
		switch {
		case st.next != "" && f.has("End"):
			return f.errorf("End", "a state has Next or End, not both")
		case st.next == "" && !end:
			return f.errorf("", "a %s state needs Next or \"End\": true", st.typ)
		}
	}
	if st.inputPath, err = parseDataPath(f, "InputPath"); err != nil {
		return err
	}
	if st.outputPath, err = parseDataPath(f, "OutputPath"); err != nil {
		return err
	}
	if st.resultPath, err = parseResultPath(f); err != nil {
		return err
	}
	for _, name := range []string{"Parameters", "ResultSelector"} {
		v, ok := f.m[name]
		if !ok {
			continue
		}
		if _, isObject := v.(map[string]any); !isObject {
			return f.errorf(name, "must be an object, not %s", jsonType(v))
		}
		t, err := compileTemplate(v, name)
		if err != nil {
			return templateDefinitionError(f, err)
		}
		if name == "Parameters" {
			st.parameters = t
		} else {
			st.resultSelector = t
		}
	}
	if st.retry, err = parseRetry(f); err != nil {
		return err
	}
	st.catch, err = parseCatch(f)
	return err
}

// templateDefinitionError reports a template problem at the field at fault.
func templateDefinitionError(f fields, err error) error {
	var te *templateError
	if errors.As(err, &te) {
		return f.errorf(te.field, "%v", te.err)
	}
	return err
}

func parseDataPath(f fields, name string) (dataPath, error) {
	v, ok := f.m[name]
	switch {
	case !ok:
		return dataPath{}, nil
	case v == nil:
		return dataPath{null: true}, nil
	}
	s, isString := v.(string)
	if !isString {
		return dataPath{}, f.errorf(name, "must be a path or null, not %s", jsonType(v))
	}
	p, err := parsePath(s)
	if err != nil {
		return dataPath{}, f.errorf(name, "%v", err)
	}
	return dataPath{path: p}, nil
}

func parseResultPath(f fields) (resultPath, error) {
	v, ok := f.m["ResultPath"]
	switch {
	case !ok:
		return resultPath{}, nil
	case v == nil:
		return resultPath{discard: true}, nil
	}
	s, isString := v.(string)
	if !isString {
		return resultPath{}, f.errorf("ResultPath", "must be a reference path or null, not %s", jsonType(v))
	}
	p, err := parseReferencePath(s)
	if err != nil {
		return resultPath{}, f.errorf("ResultPath", "%v", err)
	}
	return resultPath{path: p}, nil
}

func parseChoice(f fields) (*choiceSpec, error) {
	entries, err := f.objects("Choices")
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, f.errorf("Choices", "is required and must not be empty")
	}
	c := &choiceSpec{}
	for _, e := range entries {
		r, err := parseChoiceRule(e, true)
		if err != nil {
			return nil, err
		}
		c.rules = append(c.rules, r)
	}
	c.defaultNext, err = f.str("Default", false)
	return c, err
}

func parseWait(f fields) (*waitSpec, error) {
	given := 0
	for _, name := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
		if f.has(name) {
			given++
		}
	}
	if given != 1 {
		return nil, f.errorf("", "a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath")
	}
	w := &waitSpec{}
	if n, ok, err := f.integer("Seconds", 0, maxTimeoutSeconds); err != nil || ok {
		w.seconds = n
		return w, err
	}
	if ts, err := f.str("Timestamp", false); err != nil {
		return nil, err
	} else if ts != "" {
		t, ok := parseTimestamp(ts)
		if !ok {
			return nil, f.errorf("Timestamp", "must be an RFC 3339 timestamp, not %q", ts)
		}
		w.timestamp = t
		return w, nil
	}
	name := "SecondsPath"
	if f.has("TimestampPath") {
		name = "TimestampPath"
	}
	s, err := f.str(name, true)
	if err != nil {
		return nil, err
	}
	p, err := parseReferencePath(s)
	if err != nil {
		return nil, f.errorf(name, "%v", err)
	}
	if name == "SecondsPath" {
		w.secondsPath = p
	} else {
		w.timestampPath = p
	}
	return w, nil
}

func parseFail(f fields) (*failSpec, error) {
	spec := &failSpec{}
	for _, pair := range [][2]string{{"Error", "ErrorPath"}, {"Cause", "CausePath"}} {
		plain, dynamic := pair[0], pair[1]
		if f.has(plain) && f.has(dynamic) {
			return nil, f.errorf(dynamic, "a Fail state has %s or %s, not both", plain, dynamic)
		}
		text, err := f.str(plain, false)
		if err != nil {
			return nil, err
		}
		pathText, err := f.str(dynamic, false)
		if err != nil {
			return nil, err
		}
		var e *expr
		if pathText != "" {
			if e, err = compileExpr(pathText); err != nil {
				return nil, f.errorf(dynamic, "%v", err)
			}
		}
		if plain == "Error" {
			spec.errorName, spec.errorPath = text, e
		} else {
			spec.cause, spec.causePath = text, e
		}
	}
	return spec, nil
}

func parseMap(f fields, st *state) (*mapSpec, error) {
	spec := &mapSpec{}
	if f.has("ItemSelector") && f.has("Parameters") {
		return nil, f.errorf("Parameters", "a Map state has ItemSelector or its legacy name Parameters, not both")
	}
	// A Map's Parameters is the legacy name of ItemSelector: it shapes each
	// item, not the state's input.
	spec.itemSelector, st.parameters = st.parameters, nil
	if v, ok := f.m["ItemSelector"]; ok {
		if _, isObject := v.(map[string]any); !isObject {
			return nil, f.errorf("ItemSelector", "must be an object, not %s", jsonType(v))
		}
		t, err := compileTemplate(v, "ItemSelector")
		if err != nil {
			return nil, templateDefinitionError(f, err)
		}
		spec.itemSelector = t
	}
	if itemsPath, err := f.str("ItemsPath", false); err != nil {
		return nil, err
	} else if itemsPath != "" {
		if spec.itemsPath, err = parseReferencePath(itemsPath); err != nil {
			return nil, f.errorf("ItemsPath", "%v", err)
		}
	}
	name := "ItemProcessor"
	if f.has("Iterator") {
		if f.has("ItemProcessor") {
			return nil, f.errorf("Iterator", "a Map state has ItemProcessor or its legacy name Iterator, not both")
		}
		name = "Iterator"
	}
	processor, ok, err := f.object(name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, f.errorf("ItemProcessor", "is required")
	}
	allowed := []string{"StartAt", "States", "Comment"}
	if name == "ItemProcessor" {
		allowed = append(allowed, "ProcessorConfig")
	}
	if err := processor.only(allowed...); err != nil {
		return nil, err
	}
	if config, ok, err := processor.object("ProcessorConfig"); err != nil {
		return nil, err
	} else if ok {
		if err := config.only("Mode", "ExecutionType"); err != nil {
			return nil, err
		}
		mode, err := config.str("Mode", false)
		if err != nil {
			return nil, err
		}
		executionType, err := config.str("ExecutionType", false)
		if err != nil {
			return nil, err
		}
		switch mode {
		case "", "INLINE":
			if executionType != "" {
				return nil, config.errorf("ExecutionType", "is for DISTRIBUTED mode only")
			}
		case "DISTRIBUTED":
			spec.distributed = true
			switch executionType {
			case "STANDARD":
			case "":
				return nil, config.errorf("ExecutionType", "is required in DISTRIBUTED mode: STANDARD or EXPRESS")
			default:
				return nil, config.errorf("ExecutionType", "only STANDARD child workflow executions are supported, not %q", executionType)
			}
		default:
			return nil, config.errorf("Mode", "must be INLINE or DISTRIBUTED, not %q", mode)
		}
	}
	if err := parseMapConcurrency(f, spec); err != nil {
		return nil, err
	}
	spec.processor, err = parseMachine(processor, f.state)
	return spec, err
}

// maxLabelLength bounds a Distributed Map's Label, which names its Map Runs
// and its child workflow executions' state machine.
const maxLabelLength = 40

// parseMapConcurrency reads MaxConcurrency and, for a Distributed Map, its
// Label and failure tolerance, each given as a value or as a Path into the
// state's input, never both.
func parseMapConcurrency(f fields, spec *mapSpec) error {
	for _, pair := range [][2]string{
		{"MaxConcurrency", "MaxConcurrencyPath"},
		{"ToleratedFailurePercentage", "ToleratedFailurePercentagePath"},
		{"ToleratedFailureCount", "ToleratedFailureCountPath"},
	} {
		if f.has(pair[0]) && f.has(pair[1]) {
			return f.errorf(pair[1], "a Map state has %s or %s, not both", pair[0], pair[1])
		}
	}
	if !spec.distributed {
		for _, name := range []string{"Label", "MaxConcurrencyPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath"} {
			if f.has(name) {
				return f.errorf(name, "is for a Map state in DISTRIBUTED mode only")
			}
		}
	}
	maxConcurrency := int64(maxTimeoutSeconds)
	if spec.distributed {
		maxConcurrency = maxDistributedConcurrency
	}
	n, _, err := f.integer("MaxConcurrency", 0, maxConcurrency)
	if err != nil {
		return err
	}
	spec.maxConcurrency = int(n)
	if count, ok, err := f.integer("ToleratedFailureCount", 0, maxTimeoutSeconds); err != nil {
		return err
	} else if ok {
		spec.toleratedCount = &count
	}
	if v, ok := f.m["ToleratedFailurePercentage"]; ok {
		p, isNumber := number(v)
		if !isNumber || p < 0 || p > 100 {
			return f.errorf("ToleratedFailurePercentage", "must be a number from 0 to 100")
		}
		spec.toleratedPercentage = &p
	}
	for _, field := range []struct {
		name string
		dst  **jsonPath
	}{
		{"MaxConcurrencyPath", &spec.maxConcurrencyPath},
		{"ToleratedFailurePercentagePath", &spec.toleratedPercentagePath},
		{"ToleratedFailureCountPath", &spec.toleratedCountPath},
	} {
		text, err := f.str(field.name, false)
		if err != nil {
			return err
		}
		if text == "" {
			continue
		}
		if *field.dst, err = parseReferencePath(text); err != nil {
			return f.errorf(field.name, "%v", err)
		}
	}
	if spec.label, err = f.str("Label", false); err != nil {
		return err
	}
	if spec.label != "" && (len(spec.label) > maxLabelLength || !executionName.MatchString(spec.label)) {
		return f.errorf("Label", "must be 1 to %d characters without whitespace, brackets, wildcards or punctuation", maxLabelLength)
	}
	return nil
}

func parseBranches(f fields) ([]*machine, error) {
	entries, err := f.objects("Branches")
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, f.errorf("Branches", "is required and must not be empty")
	}
	branches := make([]*machine, len(entries))
	for i, e := range entries {
		if err := e.only("StartAt", "States", "Comment"); err != nil {
			return nil, err
		}
		if branches[i], err = parseMachine(e, fmt.Sprintf("%s[%d]", f.state, i)); err != nil {
			return nil, err
		}
	}
	return branches, nil
}
