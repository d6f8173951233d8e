package ddemu_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ddrotate/ddrotate/internal/ddemu"
)

// A test seeds an org, serves it on loopback, and points its Datadog client at
// the returned base URL with the admin keys.
func Example() {
	seed, admin := ddemu.DefaultSeed()
	srv := ddemu.New(seed)
	baseURL, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	// The next create is performed, but its answer is lost.
	srv.AddFault(ddemu.Fault{Op: ddemu.CreateAPIKey, AfterEffect: true, Status: http.StatusBadGateway, Times: 1})

	body := `{"data":{"type":"api_keys","attributes":{"name":"ddrotate-team-a-1234"}}}`
	req, _ := http.NewRequest("POST", baseURL+"/api/v2/api_keys", strings.NewReader(body))
	req.Header.Set(ddemu.HeaderAPIKey, admin.APIKey)
	req.Header.Set(ddemu.HeaderAppKey, admin.AppKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	fmt.Println("status:", resp.StatusCode)
	fmt.Println("API keys in the org:", len(srv.APIKeys()))
	fmt.Println("create calls:", srv.Counters()[ddemu.CreateAPIKey])
	// Output:
	// status: 502
	// API keys in the org: 2
	// create calls: 1
}
