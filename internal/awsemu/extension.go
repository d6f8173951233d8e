package awsemu

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// ServiceError is an error an extension service answers with: AWS's error
// code, its message and the HTTP status.
type ServiceError struct {
	Status  int
	Code    string
	Message string
}

func (e *ServiceError) Error() string { return e.Code + ": " + e.Message }

// Caller is who signed a request to an extension service.
type Caller struct {
	ARN     string // the assumed-role ARN of a session, the root ARN of an account
	Account string
	UserID  string
}

// ServiceCall is one request to an extension service.
type ServiceCall struct {
	Context context.Context
	Action  string
	// Body is the request body; Method, Path, Query and Header are the
	// HTTP request's, for REST services.
	Body   []byte
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Caller Caller

	authorize func(action, resource string, context map[string][]string) *apiError
}

// Authorize checks that the caller may perform action (service:Action) on
// resource, with the request's extra condition keys. The emulated
// account's own root may do anything; other callers are decided by the
// Server's Authorizer. A nil result means allowed.
func (c *ServiceCall) Authorize(action, resource string, context map[string][]string) *ServiceError {
	if c.authorize == nil {
		return nil
	}
	if err := c.authorize(action, resource, context); err != nil {
		return &ServiceError{Status: err.Status, Code: err.Code, Message: err.Message}
	}
	return nil
}

// ServiceResponse is what a REST service answers.
type ServiceResponse struct {
	Status      int
	ContentType string
	Header      map[string]string
	Body        []byte
}

// JSONService is an awsJson service (X-Amz-Target dispatch) mounted on
// the emulator's endpoint, such as Step Functions.
type JSONService struct {
	// Name is the service's signing name ("states"), used in the call log,
	// counters and faults.
	Name string
	// TargetPrefix is the X-Amz-Target prefix ("AWSStepFunctions").
	TargetPrefix string
	// ContentType is the protocol's media type ("application/x-amz-json-1.0").
	ContentType string
	// Actions lists the operations it answers; any other target is an
	// UnknownOperationException.
	Actions map[string]bool
	// Handle runs one action and returns the output to encode as JSON.
	Handle func(call *ServiceCall) (any, *ServiceError)
}

// RESTService is a restJson service mounted under a path prefix, such as
// Lambda's /2015-03-31/functions.
type RESTService struct {
	Name       string
	PathPrefix string
	// Route names the action of a request, false when no route matches.
	Route func(method, path string) (action string, ok bool)
	// Handle runs one action.
	Handle func(call *ServiceCall) (ServiceResponse, *ServiceError)
}

// MountJSON adds an awsJson service. Call it before serving.
func (s *Server) MountJSON(svc JSONService) {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	if s.jsonServices == nil {
		s.jsonServices = map[string]*JSONService{}
	}
	s.jsonServices[svc.TargetPrefix] = &svc
}

// MountREST adds a restJson service. Call it before serving.
func (s *Server) MountREST(svc RESTService) {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	s.restServices = append(s.restServices, &svc)
}

func (s *Server) jsonService(prefix string) *JSONService {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	return s.jsonServices[prefix]
}

func (s *Server) restService(path string) *RESTService {
	s.obsMu.Lock()
	defer s.obsMu.Unlock()
	for _, svc := range s.restServices {
		if strings.HasPrefix(path, svc.PathPrefix) {
			return svc
		}
	}
	return nil
}

// dispatchExtension runs an extension service's action.
func (s *Server) dispatchExtension(req *request) response {
	call := &ServiceCall{
		Context: req.ctx, Action: req.action, Body: req.body,
		Method: req.method, Path: req.path, Query: req.query, Header: req.header,
		Caller: Caller{ARN: req.caller.arn, Account: req.caller.account, UserID: req.caller.userID},
	}
	call.authorize = func(action, resource string, extra map[string][]string) *apiError {
		return s.authorizeCall(req, action, resource, extra)
	}
	if req.ext != nil {
		out, err := req.ext.Handle(call)
		if err != nil {
			return errorResponse(req, &apiError{Code: err.Code, Message: err.Message, Status: err.Status})
		}
		body, mErr := json.Marshal(out)
		if mErr != nil {
			return errorResponse(req, newAPIError(http.StatusInternalServerError, "InternalFailure", "failed to encode the response"))
		}
		return response{status: http.StatusOK, contentType: req.ext.ContentType, body: body}
	}
	out, err := req.rest.Handle(call)
	if err != nil {
		return errorResponse(req, &apiError{Code: err.Code, Message: err.Message, Status: err.Status})
	}
	if out.Status == 0 {
		out.Status = http.StatusOK
	}
	if out.ContentType == "" {
		out.ContentType = "application/json"
	}
	return response{status: out.Status, contentType: out.ContentType, body: out.Body, header: out.Header}
}

// extensionErrorResponse encodes e for an extension service: awsJson
// services carry the code in __type; restJson services in the
// X-Amzn-ErrorType header and the body's Type/Message.
func extensionErrorResponse(req *request, e *apiError) response {
	if req.ext != nil {
		body, _ := json.Marshal(struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}{e.Code, e.Message})
		return response{status: e.Status, contentType: req.ext.ContentType, body: body, errorCode: e.Code}
	}
	kind := "User"
	if e.Status >= 500 {
		kind = "Service"
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"Type"`
		Message string `json:"Message"`
	}{kind, e.Message})
	return response{status: e.Status, contentType: "application/json", body: body, errorCode: e.Code,
		header: map[string]string{"X-Amzn-ErrorType": e.Code}}
}
