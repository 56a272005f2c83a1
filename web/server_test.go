package web_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/migrations"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
	"github.com/gomato/gomato/web"
)

// testRedisDB is this package's own Redis database number: tests never
// share one with a running installation (0) or with other packages.
const testRedisDB = 13

func newServer(t *testing.T) (*web.Server, *tenanttest.Env) {
	t.Helper()
	env := tenanttest.New(t)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: testRedisDB})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis is not reachable on 127.0.0.1:6379 (run deploy/local/services.sh): %v", err)
	}
	s := web.New(web.Config{ControlVersion: tenant.Latest(migrations.Control), BaseDomain: "gomato.test"},
		web.Deps{DB: env.DB, Registry: env.Registry, Redis: rdb})
	return s, env
}

func TestHealthAndReadiness(t *testing.T) {
	s, _ := newServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := s.App().Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Errorf("%s = %d %s, want 200", path, resp.StatusCode, b)
		}
	}
}

func TestReadinessFailsOnStaleControlSchema(t *testing.T) {
	env := tenanttest.New(t)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: testRedisDB})
	defer rdb.Close()
	s := web.New(web.Config{ControlVersion: "9999_future"}, web.Deps{DB: env.DB, Registry: env.Registry, Redis: rdb})
	resp, _ := s.App().Test(httptest.NewRequest("GET", "/readyz", nil), -1)
	if resp.StatusCode != 503 {
		t.Fatalf("readyz with a stale schema = %d, want 503", resp.StatusCode)
	}
}

func TestErrorsAreJSON(t *testing.T) {
	s, _ := newServer(t)
	resp, _ := s.App().Test(httptest.NewRequest("GET", "/api/v1/nothing-here", nil), -1)
	if resp.StatusCode != 404 {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
	var body web.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Code != "not_found" || body.Error.Message == "" {
		t.Fatalf("body %+v, want code not_found with a message", body)
	}
}

// TestEveryRouteDeclaresItsPermission: the route table is the permission
// table; a route with neither a permission nor Public/SignedIn is a bug.
func TestEveryRouteDeclaresItsPermission(t *testing.T) {
	s, _ := newServer(t)
	if len(s.Routes()) == 0 {
		t.Fatal("no routes")
	}
	for _, r := range s.Routes() {
		declared := 0
		if r.Public {
			declared++
		}
		if r.SignedIn {
			declared++
		}
		if !r.Perm.IsZero() {
			declared++
		}
		if declared != 1 {
			t.Errorf("%s %s declares %d of {Public, SignedIn, Perm}, want exactly one", r.Method, r.Path, declared)
		}
	}
}
