package awsemu

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// jsonContentType is the media type of the awsJson1_1 protocol that Secrets
// Manager speaks.
const jsonContentType = "application/x-amz-json-1.1"

// epochTime is a timestamp in the awsJson encoding: seconds since the Unix
// epoch as a JSON number, with millisecond precision.
type epochTime time.Time

// MarshalJSON writes the timestamp as fractional epoch seconds.
func (t epochTime) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)), nil
}

// epochPtr returns nil for the zero time so that omitempty drops it.
func epochPtr(t time.Time) *epochTime {
	if t.IsZero() {
		return nil
	}
	e := epochTime(t)
	return &e
}

// decodeJSONInput unmarshals an awsJson request body into in. An empty body
// is an empty input, as the SDKs send "{}" but raw clients may send nothing.
func decodeJSONInput(body []byte, in any) *apiError {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, in); err != nil {
		return newAPIError(http.StatusBadRequest, codeSerialization, "Start of structure or map found where not expected, or the request body is not valid JSON")
	}
	return nil
}

// jsonResponse encodes out as a successful awsJson response.
func jsonResponse(out any) response {
	body, err := json.Marshal(out)
	if err != nil {
		// Outputs are plain structs of strings, slices and maps; failing to
		// encode one is a bug in the emulator, reported as AWS would.
		return jsonErrorResponse(newAPIError(http.StatusInternalServerError, "InternalServiceError", "failed to encode the response"))
	}
	return response{status: http.StatusOK, contentType: jsonContentType, body: body}
}

// jsonErrorResponse encodes e the way awsJson services do: the code in
// "__type" and the text in "Message".
func jsonErrorResponse(e *apiError) response {
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"Message"`
	}{e.Code, e.Message})
	return response{status: e.Status, contentType: jsonContentType, body: body, errorCode: e.Code}
}
