package localstack

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/ddrotate/ddrotate/internal/awsemu"
)

// lambdaAPI serves Lambda's Invoke, ListFunctions, GetFunction and
// GetFunctionConfiguration (restJson, /2015-03-31/functions) for the
// stack's functions.
type lambdaAPI struct{ ls *Stack }

const lambdaPrefix = "/2015-03-31/functions"

func (l *lambdaAPI) service() awsemu.RESTService {
	return awsemu.RESTService{Name: "lambda", PathPrefix: lambdaPrefix, Route: route, Handle: l.handle}
}

func route(method, path string) (string, bool) {
	rest := strings.Trim(strings.TrimPrefix(path, lambdaPrefix), "/")
	parts := strings.Split(rest, "/")
	switch {
	case rest == "" && method == http.MethodGet:
		return "ListFunctions", true
	case len(parts) == 2 && parts[1] == "invocations" && method == http.MethodPost:
		return "Invoke", true
	case len(parts) == 1 && method == http.MethodGet:
		return "GetFunction", true
	case len(parts) == 2 && parts[1] == "configuration" && method == http.MethodGet:
		return "GetFunctionConfiguration", true
	}
	return "", false
}

func lambdaError(status int, code, msg string) *awsemu.ServiceError {
	return &awsemu.ServiceError{Status: status, Code: code, Message: msg}
}

// function resolves a FunctionName: a name, an ARN or a partial ARN,
// optionally qualified with $LATEST.
func (l *lambdaAPI) function(raw string) (*Function, *awsemu.ServiceError) {
	name, _ := url.PathUnescape(raw)
	if n, q, ok := strings.Cut(strings.TrimPrefix(name, "arn:aws:lambda:"), ":function:"); ok {
		_ = n
		name = q
	}
	name, qualifier, _ := strings.Cut(name, ":")
	dep := l.ls.Deployment
	for _, fn := range dep.Functions {
		if fn.Name == name {
			if qualifier != "" && qualifier != "$LATEST" {
				return nil, lambdaError(http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fn.ARN+":"+qualifier)
			}
			return fn, nil
		}
	}
	return nil, lambdaError(http.StatusNotFound, "ResourceNotFoundException",
		"Function not found: arn:aws:lambda:"+dep.Region+":"+dep.Account+":function:"+name)
}

func (l *lambdaAPI) handle(call *awsemu.ServiceCall) (awsemu.ServiceResponse, *awsemu.ServiceError) {
	rest := strings.Trim(strings.TrimPrefix(call.Path, lambdaPrefix), "/")
	parts := strings.Split(rest, "/")
	switch call.Action {
	case "ListFunctions":
		if err := call.Authorize("lambda:ListFunctions", "*", nil); err != nil {
			return awsemu.ServiceResponse{}, err
		}
		return l.listFunctions(call)
	case "GetFunction", "GetFunctionConfiguration":
		fn, err := l.function(parts[0])
		if err != nil {
			return awsemu.ServiceResponse{}, err
		}
		if err := call.Authorize("lambda:"+call.Action, fn.ARN, nil); err != nil {
			return awsemu.ServiceResponse{}, err
		}
		var out any = l.configuration(fn)
		if call.Action == "GetFunction" {
			out = map[string]any{"Configuration": l.configuration(fn), "Code": map[string]any{"RepositoryType": "S3", "Location": "local bootstrap built from functions/"}}
		}
		b, _ := json.Marshal(out)
		return awsemu.ServiceResponse{Body: b}, nil
	}
	fn, err := l.function(parts[0])
	if err != nil {
		return awsemu.ServiceResponse{}, err
	}
	if err := call.Authorize("lambda:InvokeFunction", fn.ARN, nil); err != nil {
		return awsemu.ServiceResponse{}, err
	}
	if q := call.Query.Get("Qualifier"); q != "" && q != "$LATEST" {
		return awsemu.ServiceResponse{}, lambdaError(http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+fn.ARN+":"+q)
	}
	payload := call.Body
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if len(payload) > 6*1024*1024 {
		return awsemu.ServiceResponse{}, lambdaError(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
	}
	if !json.Valid(payload) {
		return awsemu.ServiceResponse{}, lambdaError(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: Unexpected character")
	}
	headers := map[string]string{"X-Amz-Executed-Version": "$LATEST"}
	switch t := call.Header.Get("X-Amz-Invocation-Type"); t {
	case "", "RequestResponse":
	case "DryRun":
		return awsemu.ServiceResponse{Status: http.StatusNoContent, Header: headers}, nil
	case "Event":
		f := l.ls.Functions[fn.Name]
		go func() { _, _ = f.Invoke(l.ls.ctx, payload) }()
		return awsemu.ServiceResponse{Status: http.StatusAccepted, Header: headers}, nil
	default:
		return awsemu.ServiceResponse{}, lambdaError(http.StatusBadRequest, "InvalidParameterValueException", "Unsupported invocation type: "+t)
	}
	res, ierr := l.ls.Functions[fn.Name].Invoke(call.Context, payload)
	if ierr != nil {
		return awsemu.ServiceResponse{}, lambdaError(http.StatusInternalServerError, "ServiceException", "the local Lambda service could not run the function: "+ierr.Error())
	}
	headers["X-Amzn-RequestId"] = res.RequestID
	if res.FunctionError != "" {
		headers["X-Amz-Function-Error"] = res.FunctionError
	}
	if call.Header.Get("X-Amz-Log-Type") == "Tail" {
		line := "START RequestId: " + res.RequestID + " Version: $LATEST\nEND RequestId: " + res.RequestID + "\nREPORT RequestId: " + res.RequestID +
			"\tDuration: " + strconv.FormatFloat(float64(res.Duration.Microseconds())/1000, 'f', 2, 64) + " ms\n"
		headers["X-Amz-Log-Result"] = base64.StdEncoding.EncodeToString([]byte(line))
	}
	return awsemu.ServiceResponse{Status: http.StatusOK, Header: headers, Body: res.Payload}, nil
}

func (l *lambdaAPI) configuration(fn *Function) map[string]any {
	return map[string]any{
		"FunctionName": fn.Name, "FunctionArn": fn.ARN, "Runtime": "provided.al2023", "Role": fn.RoleARN,
		"Handler": "bootstrap", "Timeout": int(fn.Timeout.Seconds()), "MemorySize": fn.MemoryMB, "Version": "$LATEST",
		"Environment": map[string]any{"Variables": fn.Environment}, "PackageType": "Zip", "State": "Active",
		"LastUpdateStatus": "Successful", "Architectures": []string{"local"},
	}
}

func (l *lambdaAPI) listFunctions(call *awsemu.ServiceCall) (awsemu.ServiceResponse, *awsemu.ServiceError) {
	fns := append([]*Function(nil), l.ls.Deployment.Functions...)
	sort.Slice(fns, func(i, j int) bool { return fns[i].Name < fns[j].Name })
	maxItems := 50
	if v, err := strconv.Atoi(call.Query.Get("MaxItems")); err == nil && v > 0 && v <= 50 {
		maxItems = v
	}
	start := 0
	if m := call.Query.Get("Marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(fns) {
			return awsemu.ServiceResponse{}, lambdaError(http.StatusBadRequest, "InvalidParameterValueException", "Invalid Marker")
		}
		start = n
	}
	end := min(start+maxItems, len(fns))
	items := []any{}
	for _, fn := range fns[start:end] {
		items = append(items, l.configuration(fn))
	}
	out := map[string]any{"Functions": items}
	if end < len(fns) {
		out["NextMarker"] = strconv.Itoa(end)
	}
	b, _ := json.Marshal(out)
	return awsemu.ServiceResponse{Body: b}, nil
}
