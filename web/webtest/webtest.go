// Package webtest is the HTTP test harness: a fully wired web.Server over
// a throwaway database and this package's Redis database, tenants and
// users with roles, and requests as any of them.
//
//	h := webtest.New(t)
//	tn := h.Tenant(t, "acme")
//	u := h.User(t, tn, "sales")
//	resp := h.Do(t, webtest.Req{As: u, Tenant: tn.Slug, Method: "GET", Path: "/api/v1/me"})
//
// New is the one place that wires a full server for tests: when web.Deps
// gains a dependency, wire it here (and in cmd/gomato/serve.go) so that
// every HTTP test runs against the server production runs.
//
// Adding a route to the role matrix: append rows for it to the table in
// web/rolematrix_test.go, with the status each actor must get written out
// by hand from DESIGN §4 (not derived from authz's policy table). The test
// fails for any route that has no row.
package webtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/migrations"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
	"github.com/gomato/gomato/web"
)

// RedisDB is the Redis database number of the web tests: never 0 (a
// running installation) and never another package's.
const RedisDB = 13

// JobsRedisDB is the Redis database the web tests' job client enqueues
// into (the scoring engineer's second test database).
const JobsRedisDB = 10

// RedisAddr is where the tests find Redis.
const RedisAddr = "127.0.0.1:6379"

// BaseDomain is the base domain test servers resolve tenant hosts under.
const BaseDomain = "gomato.test"

// Harness is a wired server with its database and Redis.
type Harness struct {
	Server *web.Server
	Env    *tenanttest.Env
	Redis  *redis.Client
	Users  *tenant.Users
	Audit  *tenant.Audit
	Authz  *authz.Authorizer
	Store  *store.Store
	// Config is the configuration Server was built with.
	Config web.Config
	// Log receives the servers' logs (tests read it to check that no
	// secret is ever logged).
	Log *SyncBuffer
}

// Options adjust the harness's server.
type Options struct {
	// Config, when set, is called on the configuration before the server
	// is built (login limits, trusted proxies…).
	Config func(*web.Config)
}

// New builds a harness with default options.
func New(t testing.TB) *Harness { return NewWith(t, Options{}) }

// NewWith builds a harness: a fresh database, Redis database RedisDB with
// a key prefix of its own (removed afterwards), and a server with every
// dependency wired as in production, its authorizer listening for policy
// changes.
func NewWith(t testing.TB, o Options) *Harness {
	t.Helper()
	env := tenanttest.New(t)
	rdb := redis.NewClient(&redis.Options{Addr: RedisAddr, DB: RedisDB})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis is not reachable on %s (run deploy/local/services.sh or `make services`): %v", RedisAddr, err)
	}
	prefix := "gomato-test-" + randHex(6) + ":"
	t.Cleanup(func() { deleteKeys(rdb, prefix) })
	cfg := web.Config{ControlVersion: tenant.Latest(migrations.Control), BaseDomain: BaseDomain, KeyPrefix: prefix}
	if o.Config != nil {
		o.Config(&cfg)
	}
	h := &Harness{Env: env, Redis: rdb, Users: &tenant.Users{DB: env.DB}, Audit: &tenant.Audit{DB: env.DB},
		Store: store.New(env.DB), Config: cfg, Log: &SyncBuffer{}}
	h.Server, h.Authz = h.NewServer(t)
	return h
}

// NewServer builds another server over the same database and Redis, with
// an authorizer of its own: a second replica.
func (h *Harness) NewServer(t testing.TB) (*web.Server, *authz.Authorizer) {
	t.Helper()
	log := slogTo(h.Log)
	az := authz.New(h.Env.DB, log)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := az.Listen(ctx, h.Env.URL); err != nil {
		t.Fatalf("authz listen: %v", err)
	}
	// Background work (scoring runs) is recorded in the test database and
	// enqueued in the web tests' own queue database; no worker runs them.
	jc := jobs.NewClient(jobs.ClientConfig{RedisAddr: RedisAddr, RedisDB: JobsRedisDB, DB: h.Env.DB, Log: log})
	t.Cleanup(jc.Close)
	queues := jobs.QueueDashboard(web.QueueDashboardPath, jobs.DashboardConfig{RedisAddr: RedisAddr, RedisDB: JobsRedisDB, ReadOnly: true})
	t.Cleanup(func() { queues.Close() })
	srv := web.New(h.Config, web.Deps{
		DB: h.Env.DB, Registry: h.Env.Registry, Redis: h.Redis, Log: log,
		Users: h.Users, Audit: h.Audit, Authz: az, Jobs: jc, Queues: queues,
	})
	return srv, az
}

// Tenant provisions a tenant (its slug gets a random suffix).
func (h *Harness) Tenant(t testing.TB, slug string) core.Tenant {
	t.Helper()
	return h.Env.Tenant(t, slug)
}

// User is a test user and the bearer secret to act as them. The zero User
// is "no session".
type User struct {
	ID     uuid.UUID
	Email  string
	Name   string
	Token  string
	Tenant core.Tenant // the tenant the user was made for, if any
	Role   string
}

// User creates a user who is a member of tn with role (a default or an
// existing custom role), signed in with a session.
func (h *Harness) User(t testing.TB, tn core.Tenant, role string) User {
	t.Helper()
	u := h.newUser(t, role, false)
	ctx := context.Background()
	if err := h.Authz.AddMember(ctx, tn.ID, u.ID); err != nil {
		t.Fatalf("add member: %v", err)
	}
	if err := h.Authz.Grant(ctx, tn.ID, u.ID, role); err != nil {
		t.Fatalf("grant %s: %v", role, err)
	}
	u.Tenant, u.Role = tn, role
	return u
}

// UserWithScope creates a user whose role is a custom role with the same
// permissions as role plus the own-records scope.
func (h *Harness) UserWithScope(t testing.TB, tn core.Tenant, role string) User {
	t.Helper()
	ctx := context.Background()
	scoped := role + "_own"
	roles, err := h.Authz.Roles(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	var base *authz.Role
	for i := range roles {
		switch roles[i].Name {
		case role:
			base = &roles[i]
		case scoped:
			return h.User(t, tn, scoped)
		}
	}
	if base == nil {
		t.Fatalf("no role %q in tenant %s", role, tn.Slug)
	}
	if err := h.Authz.CreateRole(ctx, tn.ID, authz.Role{Name: scoped, Permissions: base.Permissions, OwnRecordsOnly: true}); err != nil {
		t.Fatalf("create role %s: %v", scoped, err)
	}
	return h.User(t, tn, scoped)
}

// Operator creates a platform operator who is a member of no tenant.
func (h *Harness) Operator(t testing.TB) User {
	t.Helper()
	return h.newUser(t, "operator", true)
}

// Agency creates an agency (its slug gets a random suffix).
func (h *Harness) Agency(t testing.TB, slug string) core.Agency {
	t.Helper()
	a, err := h.Env.Registry.CreateAgency(context.Background(), slug+"-"+randHex(3), "Agency "+slug)
	if err != nil {
		t.Fatalf("create agency: %v", err)
	}
	return a
}

// AgencyAdmin creates an admin of the agency with that slug, a member of
// no tenant.
func (h *Harness) AgencyAdmin(t testing.TB, agencySlug string) User {
	t.Helper()
	a, err := h.Env.Registry.AgencyBySlug(context.Background(), agencySlug)
	if err != nil {
		t.Fatalf("agency %s: %v", agencySlug, err)
	}
	u := h.newUser(t, "agency_admin", false)
	if err := h.Users.AddAgencyAdmin(context.Background(), a.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	return u
}

// UserWithPassword creates a user who can sign in with password and is a
// member of no tenant.
func (h *Harness) UserWithPassword(t testing.TB, password string) User {
	t.Helper()
	n := randHex(5)
	u, err := h.Users.Create(context.Background(), tenant.NewUser{Email: "pw-" + n + "@example.test", Name: "User " + n, Password: password})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	return User{ID: u.ID, Email: u.Email, Name: u.Name}
}

func (h *Harness) newUser(t testing.TB, label string, operator bool) User {
	t.Helper()
	ctx := context.Background()
	n := randHex(5)
	u, err := h.Users.Create(ctx, tenant.NewUser{Email: label + "-" + n + "@example.test", Name: strings.ToUpper(label[:1]) + label[1:] + " " + n, Operator: operator})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	secret, _, err := h.Users.CreateSession(ctx, u.ID, "127.0.0.1", "webtest")
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	return User{ID: u.ID, Email: u.Email, Name: u.Name, Token: secret, Role: label}
}

// Req is one request. Body is sent as JSON unless it is a string or
// []byte (sent as is, with Header's Content-Type).
type Req struct {
	As     User
	Tenant string // tenant slug, sent as X-Tenant
	Method string
	Path   string
	Body   any
	Header map[string]string
}

// Resp is a response, read whole.
type Resp struct {
	Status int
	Body   []byte
	Header http.Header
	t      testing.TB
}

// JSON decodes the body into v, failing the test when it cannot.
func (r *Resp) JSON(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("decode response %d %s: %v", r.Status, r.Body, err)
	}
}

// ErrorCode returns the body's error code, if it is an error body.
func (r *Resp) ErrorCode() string {
	var b web.ErrorBody
	_ = json.Unmarshal(r.Body, &b)
	return string(b.Error.Code)
}

// Do sends req to the harness's server.
func (h *Harness) Do(t testing.TB, req Req) *Resp {
	t.Helper()
	return DoOn(t, h.Server, req)
}

// DoOn sends req to srv.
func DoOn(t testing.TB, srv *web.Server, req Req) *Resp {
	t.Helper()
	var body io.Reader
	ct := ""
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		body, ct = bytes.NewReader(raw), "application/json"
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	r := httptest.NewRequest(method, req.Path, body)
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if req.Tenant != "" {
		r.Header.Set("X-Tenant", req.Tenant)
	}
	if req.As.Token != "" {
		r.Header.Set("Authorization", "Bearer "+req.As.Token)
	}
	for k, v := range req.Header {
		r.Header.Set(k, v)
	}
	resp, err := srv.App().Test(r, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, req.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &Resp{Status: resp.StatusCode, Body: b, Header: resp.Header, t: t}
}

// Scenario is one row of an HTTP scenario table.
type Scenario struct {
	Name     string
	As       User
	Tenant   string
	Method   string
	Path     string
	Body     any
	Header   map[string]string
	Status   int
	Contains string // a substring the body must contain, if set
}

// RunScenarios runs each scenario as a subtest.
func RunScenarios(t *testing.T, h *Harness, scs []Scenario) {
	t.Helper()
	for _, sc := range scs {
		t.Run(sc.Name, func(t *testing.T) {
			resp := h.Do(t, Req{As: sc.As, Tenant: sc.Tenant, Method: sc.Method, Path: sc.Path, Body: sc.Body, Header: sc.Header})
			if resp.Status != sc.Status {
				t.Fatalf("%s %s = %d %s, want %d", sc.Method, sc.Path, resp.Status, resp.Body, sc.Status)
			}
			if sc.Contains != "" && !bytes.Contains(resp.Body, []byte(sc.Contains)) {
				t.Fatalf("%s %s body %s does not contain %q", sc.Method, sc.Path, resp.Body, sc.Contains)
			}
		})
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// deleteKeys removes the harness's own Redis keys (never FLUSHDB).
func deleteKeys(rdb *redis.Client, prefix string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		_ = rdb.Del(ctx, keys...).Err()
	}
}

// String names a user in test messages.
func (u User) String() string {
	if u.Token == "" {
		return "no session"
	}
	return fmt.Sprintf("%s (%s)", u.Email, u.Role)
}
