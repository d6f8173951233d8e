package awsemu

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// request is a decoded call: which service and action it targets, its
// parameters, and who sent it.
type request struct {
	id       string
	service  string
	action   string
	body     []byte     // awsJson parameters (Secrets Manager)
	form     url.Values // awsQuery parameters (SNS, STS)
	secretID string     // the SecretId (or Name) it names, for faults and the call log
	host     string     // the Host the client reached the emulator at, for SNS UnsubscribeURLs
	creds    requestCredentials
	caller   *principal

	// Extension services (Step Functions, Lambda) mounted on the endpoint.
	ext    *JSONService
	rest   *RESTService
	ctx    context.Context
	method string
	path   string
	query  url.Values
	header http.Header
}

// Actions each awsQuery service answers. They never overlap, so a request's
// Action alone tells which service it is for.
var (
	snsActions = map[string]bool{
		"CreateTopic": true, "Subscribe": true, "Unsubscribe": true, "ListSubscriptionsByTopic": true,
		"SetSubscriptionAttributes": true, "Publish": true, "ListTopics": true, "GetTopicAttributes": true,
	}
	stsActions = map[string]bool{"AssumeRole": true, "GetCallerIdentity": true}
)

// decodeRequest works out the service and action of r and reads its
// parameters. When it fails, resp is the AWS-shaped error to send.
func (s *Server) decodeRequest(w http.ResponseWriter, r *http.Request) (*request, response, bool) {
	req := &request{id: newUUID(), host: r.Host, ctx: r.Context(), method: r.Method, path: r.URL.Path, query: r.URL.Query(), header: r.Header}
	req.creds, _ = credentialsOf(r)

	if rest := s.restService(r.URL.Path); rest != nil {
		req.service, req.rest = rest.Name, rest
		action, ok := rest.Route(r.Method, r.URL.Path)
		req.action = action
		if !ok {
			return req, extensionErrorResponse(req, newAPIError(http.StatusNotFound, "ResourceNotFoundException", "no route for %s %s", r.Method, r.URL.Path)), false
		}
		body, err := readBody(w, r)
		if err != nil {
			return req, extensionErrorResponse(req, newAPIError(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "could not read the request body")), false
		}
		req.body = body
		return req, response{}, true
	}

	if target := r.Header.Get("X-Amz-Target"); target != "" {
		req.service = serviceSecretsManager
		prefix, action, _ := strings.Cut(target, ".")
		req.action = action
		if ext := s.jsonService(prefix); ext != nil {
			req.service, req.ext = ext.Name, ext
			if !ext.Actions[action] {
				return req, extensionErrorResponse(req, newAPIError(http.StatusBadRequest, codeUnknownOperation, "The operation %q is not supported by this endpoint", target)), false
			}
			body, err := readBody(w, r)
			if err != nil {
				return req, extensionErrorResponse(req, newAPIError(http.StatusBadRequest, codeSerialization, "could not read the request body")), false
			}
			req.body = body
			return req, response{}, true
		}
		if prefix != serviceSecretsManager || !secretsManagerActions[action] {
			return req, jsonErrorResponse(newAPIError(http.StatusBadRequest, codeUnknownOperation, "The operation %q is not supported by this endpoint", target)), false
		}
		body, err := readBody(w, r)
		if err != nil {
			return req, jsonErrorResponse(newAPIError(http.StatusBadRequest, codeSerialization, "could not read the request body")), false
		}
		req.body = body
		req.secretID = secretIDOf(req.action, body)
		return req, response{}, true
	}

	req.service = serviceSNS
	if req.creds.scopeService == serviceSTS {
		req.service = serviceSTS
	}
	form, err := readForm(w, r)
	if err != nil {
		return req, queryErrorResponse(namespaceOf(req.service), req.id,
			newAPIError(http.StatusNotFound, "MalformedQueryString", "The query string contains a syntax error")), false
	}
	req.form = form
	req.action = form.Get("Action")
	switch {
	case snsActions[req.action]:
		req.service = serviceSNS
	case stsActions[req.action]:
		req.service = serviceSTS
	case req.action == "":
		return req, queryErrorResponse(namespaceOf(req.service), req.id,
			newAPIError(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action")), false
	default:
		return req, queryErrorResponse(namespaceOf(req.service), req.id,
			newAPIError(http.StatusBadRequest, "InvalidAction", "The action or operation requested is invalid. Verify that the action is typed correctly.")), false
	}
	return req, response{}, true
}

// readForm parses the awsQuery parameters from the URL and, for form posts,
// the body. Unlike r.ParseForm it reports a malformed body instead of
// silently keeping the part before the error.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	form, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("parse query string: %w", err)
	}
	if r.Method != http.MethodPost {
		return form, nil
	}
	body, err := readBody(w, r)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	posted, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("parse form body: %w", err)
	}
	for k, v := range posted {
		form[k] = append(form[k], v...)
	}
	return form, nil
}

func namespaceOf(service string) string {
	if service == serviceSTS {
		return stsNamespace
	}
	return snsNamespace
}

// secretIDOf picks the secret a Secrets Manager request names, ignoring a
// body that does not parse: the handler reports that properly.
func secretIDOf(action string, body []byte) string {
	var ids struct {
		SecretID string `json:"SecretId"`
		Name     string `json:"Name"`
	}
	_ = json.Unmarshal(body, &ids)
	if action == "CreateSecret" {
		return ids.Name
	}
	return ids.SecretID
}

// authenticate resolves who sent req and rejects requests AWS would reject
// before running the action: unsigned, unknown or expired session tokens,
// and actions the caller may not call at all.
func (s *Server) authenticate(req *request) (response, bool) {
	if req.creds.accessKeyID == "" {
		return errorResponse(req, authError(req.service, authMissing)), false
	}
	s.mu.Lock()
	caller, failure := s.principalFor(req.creds)
	s.mu.Unlock()
	if failure != authOK {
		return errorResponse(req, authError(req.service, failure)), false
	}
	req.caller = caller
	if s.governed(caller) {
		if req.ext != nil || req.rest != nil || (req.service == serviceSTS && req.action == "GetCallerIdentity") {
			return response{}, true // extension services authorize in their handlers
		}
		if err := s.authorizeBuiltin(req); err != nil {
			return errorResponse(req, err), false
		}
		caller.authorized = true
		return response{}, true
	}
	if req.ext != nil || req.rest != nil {
		if caller.kind == adminPrincipal {
			return response{}, true
		}
		return errorResponse(req, accessDenied(req, caller, "*")), false
	}
	if !caller.mayCall(req.service, req.action) {
		return errorResponse(req, accessDenied(req, caller, req.secretID)), false
	}
	return response{}, true
}

// authError is the error AWS answers to missing, unknown or expired
// credentials, in the spelling of the service's protocol.
func authError(service string, failure authFailure) *apiError {
	query := service != serviceSecretsManager
	switch failure {
	case authMissing:
		if query {
			return newAPIError(http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token")
		}
		return newAPIError(http.StatusForbidden, codeMissingAuthToken, "Missing Authentication Token")
	case authExpired:
		if query {
			return newAPIError(http.StatusForbidden, "ExpiredToken", "The security token included in the request is expired")
		}
		return newAPIError(http.StatusForbidden, codeExpiredToken, "The security token included in the request is expired")
	default:
		if query {
			return newAPIError(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		}
		return newAPIError(http.StatusForbidden, codeUnrecognizedToken, "The security token included in the request is invalid.")
	}
}

// accessDenied is the authorization failure of caller on resource, worded
// and coded as each service words it.
func accessDenied(req *request, caller *principal, resource string) *apiError {
	if resource == "" {
		resource = "*"
	}
	switch req.service {
	case serviceSecretsManager:
		return newAPIError(http.StatusBadRequest, codeAccessDenied,
			"User: %s is not authorized to perform: secretsmanager:%s on resource: %s because no identity-based policy allows the secretsmanager:%s action",
			caller.arn, req.action, resource, req.action)
	case serviceSTS:
		return newAPIError(http.StatusForbidden, "AccessDenied",
			"User: %s is not authorized to perform: sts:%s on resource: %s", caller.arn, req.action, resource)
	default:
		return newAPIError(http.StatusForbidden, "AuthorizationError",
			"User: %s is not authorized to perform: SNS:%s on resource: %s", caller.arn, req.action, resource)
	}
}
