package awsemu

import (
	"cmp"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Paging bounds of the list operations.
const (
	maxListResults     = 100
	defaultListResults = 100
)

// page returns the slice of n items that starts at the offset encoded in
// nextToken, and the token of the following page ("" when none is left).
func page(n int, maxResults int, nextToken string) (start, end int, next string, err *apiError) {
	if maxResults == 0 {
		maxResults = defaultListResults
	}
	if maxResults < 1 || maxResults > maxListResults {
		return 0, 0, "", newAPIError(http.StatusBadRequest, codeValidation,
			"1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", maxListResults)
	}
	if nextToken != "" {
		offset, convErr := strconv.Atoi(nextToken)
		if convErr != nil || offset < 0 || offset > n {
			return 0, 0, "", newAPIError(http.StatusBadRequest, "InvalidNextTokenException", "The NextToken value is invalid.")
		}
		start = offset
	}
	end = min(start+maxResults, n)
	if end < n {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

type listSecretVersionIDsInput struct {
	SecretID          string  `json:"SecretId"`
	MaxResults        *int    `json:"MaxResults"`
	NextToken         *string `json:"NextToken"`
	IncludeDeprecated bool    `json:"IncludeDeprecated"`
}

// Bounds of the list operations' paging members (MaxResultsType and
// NextTokenType).
const maxNextTokenLength = 4096

// checkPaging validates MaxResults (1 to 100) and NextToken (1 to 4096
// characters) when present, and returns them for page.
func checkPaging(maxResults *int, nextToken *string) (int, string, *apiError) {
	if maxResults != nil && (*maxResults < 1 || *maxResults > maxListResults) {
		return 0, "", valueOutOfRange("maxResults", 1, maxListResults)
	}
	if err := optionalLength("nextToken", nextToken, 1, maxNextTokenLength); err != nil {
		return 0, "", err
	}
	n := 0
	if maxResults != nil {
		n = *maxResults
	}
	return n, deref(nextToken), nil
}

type secretVersionsListEntry struct {
	VersionID        string     `json:"VersionId"`
	VersionStages    []string   `json:"VersionStages,omitempty"`
	CreatedDate      *epochTime `json:"CreatedDate,omitempty"`
	LastAccessedDate *epochTime `json:"LastAccessedDate,omitempty"`
}

type listSecretVersionIDsOutput struct {
	ARN       string                    `json:"ARN"`
	Name      string                    `json:"Name"`
	Versions  []secretVersionsListEntry `json:"Versions"`
	NextToken string                    `json:"NextToken,omitempty"`
}

// listSecretVersionIDs lists versions oldest first; deprecated (unlabelled)
// versions only when IncludeDeprecated is set.
func (s *Server) listSecretVersionIDs(req *request) (any, *apiError) {
	var in listSecretVersionIDsInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	maxResults, nextToken, err := checkPaging(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	sec, err := s.secretForCaller(req, in.SecretID)
	if err != nil {
		return nil, err
	}
	var entries []secretVersionsListEntry
	for _, id := range sec.order {
		v := sec.versions[id]
		if len(v.stages) == 0 && !in.IncludeDeprecated {
			continue
		}
		entries = append(entries, secretVersionsListEntry{
			VersionID:        v.id,
			VersionStages:    slices.Clone(v.stages),
			CreatedDate:      epochPtr(v.created),
			LastAccessedDate: epochPtr(v.lastAccessed),
		})
	}
	start, end, next, err := page(len(entries), maxResults, nextToken)
	if err != nil {
		return nil, err
	}
	return listSecretVersionIDsOutput{ARN: sec.arn, Name: sec.name, Versions: entries[start:end], NextToken: next}, nil
}

type listSecretsFilter struct {
	Key    string   `json:"Key"`
	Values []string `json:"Values"`
}

type listSecretsInput struct {
	MaxResults             *int                `json:"MaxResults"`
	NextToken              *string             `json:"NextToken"`
	Filters                []listSecretsFilter `json:"Filters"`
	SortOrder              *string             `json:"SortOrder"`
	SortBy                 *string             `json:"SortBy"`
	IncludePlannedDeletion bool                `json:"IncludePlannedDeletion"`
}

// Enums of ListSecrets (SortOrderType, SortByType) and its bound on the
// number of filters (FiltersListType: at most 10).
var (
	sortOrders = []string{"asc", "desc"}
	sortKeys   = []string{"created-date", "last-accessed-date", "last-changed-date", "name"}
)

const maxFilters = 10

// filterKeys is FilterNameStringType.
var filterKeys = []string{"description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"}

type secretListEntry struct {
	ARN                    string              `json:"ARN"`
	Name                   string              `json:"Name"`
	Description            string              `json:"Description,omitempty"`
	KmsKeyID               string              `json:"KmsKeyId,omitempty"`
	CreatedDate            *epochTime          `json:"CreatedDate,omitempty"`
	LastChangedDate        *epochTime          `json:"LastChangedDate,omitempty"`
	LastAccessedDate       *epochTime          `json:"LastAccessedDate,omitempty"`
	DeletedDate            *epochTime          `json:"DeletedDate,omitempty"`
	Tags                   []secretTag         `json:"Tags,omitempty"`
	SecretVersionsToStages map[string][]string `json:"SecretVersionsToStages,omitempty"`
}

type listSecretsOutput struct {
	SecretList []secretListEntry `json:"SecretList"`
	NextToken  string            `json:"NextToken,omitempty"`
}

// listSecrets lists the secrets that pass every filter, newest first unless
// SortOrder is "asc". Secrets scheduled for deletion are listed only with
// IncludePlannedDeletion.
func (s *Server) listSecrets(req *request) (any, *apiError) {
	var in listSecretsInput
	if err := decodeJSONInput(req.body, &in); err != nil {
		return nil, err
	}
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	if len(in.Filters) > maxFilters {
		return nil, newAPIError(http.StatusBadRequest, codeValidation,
			"1 validation error detected: Value at 'filters' failed to satisfy constraint: Member must have length less than or equal to %d", maxFilters)
	}
	if in.SortOrder != nil && !slices.Contains(sortOrders, *in.SortOrder) {
		return nil, enumMismatch("sortOrder", *in.SortOrder, sortOrders)
	}
	if in.SortBy != nil && !slices.Contains(sortKeys, *in.SortBy) {
		return nil, enumMismatch("sortBy", *in.SortBy, sortKeys)
	}
	maxResults, nextToken, err := checkPaging(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	var matched []*secret
	for _, sec := range s.secrets {
		if sec.scheduledForDeletion() && !in.IncludePlannedDeletion {
			continue
		}
		if matchesAllFilters(sec, in.Filters) {
			matched = append(matched, sec)
		}
	}
	slices.SortFunc(matched, func(a, b *secret) int {
		var c int
		switch deref(in.SortBy) {
		case "name":
			c = strings.Compare(a.name, b.name)
		case "last-accessed-date":
			c = a.lastAccessed.Compare(b.lastAccessed)
		case "last-changed-date":
			c = a.lastChanged.Compare(b.lastChanged)
		default:
			c = a.created.Compare(b.created)
		}
		c = cmp.Or(c, a.created.Compare(b.created), strings.Compare(a.name, b.name))
		if deref(in.SortOrder) == "asc" {
			return c
		}
		return -c
	})
	start, end, next, err := page(len(matched), maxResults, nextToken)
	if err != nil {
		return nil, err
	}
	out := listSecretsOutput{SecretList: []secretListEntry{}, NextToken: next}
	for _, sec := range matched[start:end] {
		out.SecretList = append(out.SecretList, secretListEntry{
			ARN:                    sec.arn,
			Name:                   sec.name,
			Description:            sec.description,
			KmsKeyID:               sec.kmsKeyID,
			CreatedDate:            epochPtr(sec.created),
			LastChangedDate:        epochPtr(sec.lastChanged),
			LastAccessedDate:       epochPtr(sec.lastAccessed),
			DeletedDate:            epochPtr(sec.deletedDate),
			Tags:                   slices.Clone(sec.tags),
			SecretVersionsToStages: sec.labelledVersions(),
		})
	}
	return out, nil
}

// Bounds of a ListSecrets filter's values, from the API reference.
const (
	maxFilterValues      = 10
	maxFilterValueLength = 512
)

// filterValuePattern is the API's constraint on a filter value: an optional
// "!" (negation) and then letters, digits, spaces and : _ @ / + = . - !
var filterValuePattern = regexp.MustCompile(`^!?[a-zA-Z0-9 :_@/+=.\-!]*$`)

// checkFilters validates ListSecrets filters as Secrets Manager does.
func checkFilters(filters []listSecretsFilter) *apiError {
	for i, f := range filters {
		if !slices.Contains(filterKeys, f.Key) {
			return enumMismatch("filters."+strconv.Itoa(i+1)+".member.key", f.Key, filterKeys)
		}
		if len(f.Values) < 1 || len(f.Values) > maxFilterValues {
			return newAPIError(http.StatusBadRequest, codeValidation,
				"1 validation error detected: Value at 'filters.%d.member.values' failed to satisfy constraint: Member must have length less than or equal to %d and greater than or equal to 1", i+1, maxFilterValues)
		}
		for _, v := range f.Values {
			if len(v) > maxFilterValueLength || !filterValuePattern.MatchString(v) {
				return newAPIError(http.StatusBadRequest, codeValidation,
					"1 validation error detected: Value at 'filters.%d.member.values' failed to satisfy constraint: Member must have length less than or equal to %d and match the pattern ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$", i+1, maxFilterValueLength)
			}
		}
	}
	return nil
}

// matchesAllFilters applies ListSecrets filters as the API reference
// describes them: every filter must match, and within one filter any of its
// values. A value is a prefix, case-sensitive for name, tag-key, tag-value,
// primary-region and owning-service, not for description; a leading "!"
// negates it. tag-key and tag-value match any of the secret's tags on their
// own, so a secret with tag a=x and tag b=y matches tag-key=a with
// tag-value=y: callers that mean one tag must check the pair themselves.
// "all" breaks the value into words and matches each against every
// attribute, ignoring case.
func matchesAllFilters(sec *secret, filters []listSecretsFilter) bool {
	for _, f := range filters {
		if !slices.ContainsFunc(f.Values, func(value string) bool { return matchesFilter(sec, f.Key, value) }) {
			return false
		}
	}
	return true
}

func matchesFilter(sec *secret, key, value string) bool {
	prefix, negated := strings.CutPrefix(value, "!")
	var fields []string
	fold := false
	switch key {
	case "name":
		fields = []string{sec.name}
	case "description":
		fields, fold = []string{sec.description}, true
	case "tag-key":
		for _, t := range sec.tags {
			fields = append(fields, t.Key)
		}
	case "tag-value":
		for _, t := range sec.tags {
			fields = append(fields, t.Value)
		}
	case "all":
		return matchesAllWords(sec, prefix) != negated
	}
	if fold {
		prefix = strings.ToLower(prefix)
	}
	found := slices.ContainsFunc(fields, func(f string) bool {
		if fold {
			f = strings.ToLower(f)
		}
		return strings.HasPrefix(f, prefix)
	})
	return found != negated
}

// matchesAllWords implements the "all" filter: every word of the value must
// start a word of the secret's name, description, tag keys or tag values,
// case ignored. Words break at anything but a letter or digit and where
// letters meet digits or lower case meets upper case.
func matchesAllWords(sec *secret, value string) bool {
	var attributes []string
	attributes = append(attributes, sec.name, sec.description)
	for _, t := range sec.tags {
		attributes = append(attributes, t.Key, t.Value)
	}
	var words []string
	for _, a := range attributes {
		words = append(words, searchWords(a)...)
	}
	for _, want := range searchWords(value) {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, want) }) {
			return false
		}
	}
	return true
}

// searchWords splits text into lower-cased words as Secrets Manager's
// search does.
func searchWords(text string) []string {
	var words []string
	var word []rune
	var prev rune
	flush := func() {
		if len(word) > 0 {
			words = append(words, strings.ToLower(string(word)))
			word = word[:0]
		}
	}
	for _, r := range text {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case len(word) > 0 && (unicode.IsDigit(r) != unicode.IsDigit(prev) || (unicode.IsUpper(r) && unicode.IsLower(prev))):
			flush()
			word = append(word, r)
		default:
			word = append(word, r)
		}
		prev = r
	}
	flush()
	return words
}
