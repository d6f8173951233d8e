package awsemu

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// XML namespaces of the awsQuery services, as the real services send them.
const (
	snsNamespace = "http://sns.amazonaws.com/doc/2010-03-31/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// queryEnvelope is the document every successful awsQuery response is
// wrapped in: <ActionResponse><ActionResult>…</ActionResult>
// <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></ActionResponse>.
// Result carries its own element name through its XMLName tag; a nil Result
// (actions without output) is omitted.
type queryEnvelope struct {
	XMLName   xml.Name
	Xmlns     string `xml:"xmlns,attr"`
	Result    any
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

type queryErrorEnvelope struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

func queryResponse(namespace, action, requestID string, result any) response {
	env := queryEnvelope{
		XMLName:   xml.Name{Local: action + "Response"},
		Xmlns:     namespace,
		Result:    result,
		RequestID: requestID,
	}
	body, err := xml.Marshal(env)
	if err != nil {
		return queryErrorResponse(namespace, requestID, newAPIError(http.StatusInternalServerError, "InternalFailure", "failed to encode the response"))
	}
	return response{status: http.StatusOK, contentType: "text/xml", body: append([]byte(xml.Header), body...)}
}

// queryErrorResponse encodes e as an awsQuery <ErrorResponse>. The Type is
// Sender for client errors and Receiver for server errors, as AWS reports it.
func queryErrorResponse(namespace, requestID string, e *apiError) response {
	var env queryErrorEnvelope
	env.Xmlns = namespace
	env.Error.Type = "Sender"
	if e.Status >= 500 {
		env.Error.Type = "Receiver"
	}
	env.Error.Code = e.Code
	env.Error.Message = e.Message
	env.RequestID = requestID
	body, _ := xml.Marshal(env)
	return response{status: e.Status, contentType: "text/xml", body: append([]byte(xml.Header), body...), errorCode: e.Code}
}

// queryMap reads an awsQuery map parameter, encoded by the SDKs and the CLI
// as prefix.entry.N.<keyName> / prefix.entry.N.<valueName>, into a Go map.
// Entries are visited in index order so that a repeated key keeps the last
// value, as AWS does.
func queryMap(form url.Values, prefix, keyName, valueName string) map[string]string {
	out := map[string]string{}
	for _, n := range queryIndexes(form, prefix+".entry.") {
		base := prefix + ".entry." + strconv.Itoa(n) + "."
		if key := form.Get(base + keyName); key != "" {
			out[key] = form.Get(base + valueName)
		}
	}
	return out
}

// queryIndexes lists, in ascending order, the distinct N of the parameters
// named prefix+"N"+… in form.
func queryIndexes(form url.Values, prefix string) []int {
	seen := map[int]bool{}
	for name := range form {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		digits, _, _ := strings.Cut(rest, ".")
		if n, err := strconv.Atoi(digits); err == nil && n > 0 {
			seen[n] = true
		}
	}
	indexes := make([]int, 0, len(seen))
	for n := range seen {
		indexes = append(indexes, n)
	}
	sort.Ints(indexes)
	return indexes
}
