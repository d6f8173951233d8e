package ddemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// maxBodyBytes bounds request bodies; key-management bodies are tiny.
const maxBodyBytes = 64 << 10

// resourceBody is the JSON:API envelope of create and update requests.
type resourceBody struct {
	Data *struct {
		Type       string          `json:"type"`
		ID         *string         `json:"id"`
		Attributes json.RawMessage `json:"attributes"`
	} `json:"data"`
}

// keyAttributes are the attributes a key request may carry. Scopes is kept
// raw to tell "absent" (keep the scopes) from null (make the key unscoped).
type keyAttributes struct {
	Name   *string         `json:"name"`
	Scopes json.RawMessage `json:"scopes"`
}

// readResource decodes a request body of the given resource type. For updates
// pathID is the id in the URL, which a body id must repeat. Error messages
// describe the structure only; a body is never quoted back.
func readResource(r *http.Request, wantType, pathID string) (keyAttributes, error) {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		return keyAttributes{}, errors.New("request body could not be read")
	}
	var body resourceBody
	if err := json.Unmarshal(data, &body); err != nil {
		return keyAttributes{}, errors.New("request body is not valid JSON")
	}
	if body.Data == nil {
		return keyAttributes{}, errors.New("data is required")
	}
	if body.Data.Type != wantType {
		return keyAttributes{}, fmt.Errorf("data.type must be %q", wantType)
	}
	if pathID != "" && body.Data.ID != nil && *body.Data.ID != pathID {
		return keyAttributes{}, errors.New("data.id does not match the id in the path")
	}
	var attrs keyAttributes
	if len(body.Data.Attributes) == 0 || bytes.Equal(body.Data.Attributes, []byte("null")) {
		return keyAttributes{}, errors.New("data.attributes is required")
	}
	if err := json.Unmarshal(body.Data.Attributes, &attrs); err != nil {
		return keyAttributes{}, errors.New("data.attributes is malformed")
	}
	if attrs.Name != nil && *attrs.Name == "" {
		return keyAttributes{}, errors.New("data.attributes.name must not be empty")
	}
	return attrs, nil
}

// scopes interprets the scopes attribute: present reports whether the request
// set it at all; nil scopes (JSON null) mean unscoped.
func (a keyAttributes) scopes() (scopes []string, present bool, err error) {
	if len(a.Scopes) == 0 {
		return nil, false, nil
	}
	if bytes.Equal(a.Scopes, []byte("null")) {
		return nil, true, nil
	}
	if err := json.Unmarshal(a.Scopes, &scopes); err != nil {
		return nil, false, errors.New("data.attributes.scopes must be a list of permission names or null")
	}
	for _, scope := range scopes {
		if scope == "" {
			return nil, false, errors.New("data.attributes.scopes must not contain empty names")
		}
	}
	if scopes == nil {
		scopes = []string{}
	}
	return scopes, true, nil
}

func badRequest(err error) response {
	return errorResponse(http.StatusBadRequest, err.Error())
}
