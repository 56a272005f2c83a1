package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

func testEnv(url string, stdin string) (environ, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return environ{
		getenv: func(k string) string {
			if k == "GOMATO_DATABASE_URL" {
				return url
			}
			return ""
		},
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
	}, &out, &errb
}

// TestUserAndAgencyCommands: the CLI bootstrap — create an operator and a
// user, grant and revoke a role, create an agency with its admin and a
// tenant in it. The password never appears in any output.
func TestUserAndAgencyCommands(t *testing.T) {
	env := tenanttest.New(t)
	ctx := context.Background()
	const pw = "correct horse battery staple"
	run1 := func(stdin string, args ...string) string {
		t.Helper()
		e, out, errb := testEnv(env.URL, stdin)
		if err := run(ctx, args, e); err != nil {
			t.Fatalf("gomato %s: %v\n%s", strings.Join(args, " "), err, errb)
		}
		if strings.Contains(out.String()+errb.String(), pw) {
			t.Fatalf("gomato %s printed the password", strings.Join(args, " "))
		}
		return out.String()
	}
	run1(pw+"\n", "user", "create", "--email", "Ops@Example.test", "--name", "عملیات", "--password-stdin", "--operator")
	run1(pw+"\n", "user", "create", "--email", "sara@example.test", "--name", "سارا", "--password-stdin", "--locale", "fa")
	run1("", "tenant", "create", "--slug", "acme-cli", "--name", "Acme")
	run1("", "user", "grant", "--email", "SARA@example.test", "--tenant", "acme-cli", "--role", "sales")

	users := &tenant.Users{DB: env.DB}
	ops, err := users.CheckPassword(ctx, "ops@example.test", pw)
	if err != nil || !ops.Operator {
		t.Fatalf("operator sign-in: %+v, %v", ops, err)
	}
	sara, err := users.ByEmail(ctx, "sara@example.test")
	if err != nil {
		t.Fatal(err)
	}
	tn, err := env.Registry.TenantBySlug(ctx, "acme-cli")
	if err != nil {
		t.Fatal(err)
	}
	az := authz.New(env.DB, nil)
	if ok, _ := az.Enforce(ctx, tn.ID, sara.ID, authz.P(authz.Contracts, authz.Create)); !ok {
		t.Fatal("granted sales, yet sara may not create contracts")
	}
	run1("", "user", "revoke", "--email", "sara@example.test", "--tenant", "acme-cli", "--role", "sales")
	if ok, _ := authz.New(env.DB, nil).Enforce(ctx, tn.ID, sara.ID, authz.P(authz.Contracts, authz.Create)); ok {
		t.Fatal("revoked sales, yet sara may still create contracts")
	}

	run1("", "agency", "create", "--slug", "agency-cli", "--name", "Agency", "--admin", "sara@example.test")
	run1("", "tenant", "create", "--slug", "client-cli", "--name", "Client", "--agency", "agency-cli")
	ag, err := env.Registry.AgencyBySlug(ctx, "agency-cli")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := users.IsAgencyAdmin(ctx, ag.ID, sara.ID); !ok {
		t.Fatal("--admin did not make sara the agency's admin")
	}
	client, _ := env.Registry.TenantBySlug(ctx, "client-cli")
	if client.AgencyID == nil || *client.AgencyID != ag.ID {
		t.Fatalf("tenant --agency: agency %v, want %s", client.AgencyID, ag.ID)
	}

	// A password on the command line is refused; an unknown admin creates nothing.
	e, _, _ := testEnv(env.URL, "")
	if err := run(ctx, []string{"user", "create", "--email", "x@example.test", "--name", "X"}, e); err == nil {
		t.Fatal("user create without --password-stdin succeeded")
	}
	if err := run(ctx, []string{"agency", "create", "--slug", "ghost-agency", "--name", "G", "--admin", "nobody@example.test"}, e); err == nil {
		t.Fatal("agency create with an unknown admin succeeded")
	}
	if _, err := env.Registry.AgencyBySlug(ctx, "ghost-agency"); err == nil {
		t.Fatal("a failed agency create left an agency behind")
	}
}

// TestMain lets the test binary stand in for `gomato serve` in a child
// process (GOMATO_TEST_SUBPROCESS=serve), so that tests can run several
// real server processes without building the binary.
func TestMain(m *testing.M) {
	if os.Getenv("GOMATO_TEST_SUBPROCESS") == "serve" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		env := environ{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
		if err := run(ctx, []string{"serve"}, env); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServe runs `gomato serve` as a child process on a free loopback
// port and waits until it is ready.
func startServe(t *testing.T, dbURL string) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Env = append(os.Environ(),
		"GOMATO_TEST_SUBPROCESS=serve",
		"GOMATO_DATABASE_URL="+dbURL,
		"GOMATO_REDIS_DB=13", // the web tests' database; keys below are this test's own
		"GOMATO_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"GOMATO_METRICS_ADDR=127.0.0.1:0",
		"GOMATO_TRUSTED_PROXIES=127.0.0.1",
		"GOMATO_LOG_LEVEL=warn",
	)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("gomato serve on %s not ready (redis on 127.0.0.1:6379 and postgres needed: deploy/local/services.sh): %v\n%s", base, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestLoginRateLimitAcrossTwoProcesses: two `gomato serve` processes share
// the per-account and per-IP sign-in counters through Redis: the attempt
// after the limit (10 per account by default) is refused by either.
func TestLoginRateLimitAcrossTwoProcesses(t *testing.T) {
	env := tenanttest.New(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 13})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis is not reachable on 127.0.0.1:6379 (run deploy/local/services.sh): %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	email := "limit-" + hex.EncodeToString(b) + "@example.test"
	// A client address of this run only (the processes trust 127.0.0.1 as
	// a proxy), so that counters never meet another run's.
	clientIP := fmt.Sprintf("10.%d.%d.%d", b[0], b[1], b[2])
	if _, err := (&tenant.Users{DB: env.DB}).Create(ctx, tenant.NewUser{Email: email, Name: "Limit", Password: "the right password"}); err != nil {
		t.Fatal(err)
	}
	servers := []string{startServe(t, env.URL), startServe(t, env.URL)}
	t.Cleanup(func() {
		h := sha256.Sum256([]byte(email))
		rdb.Del(ctx, "gomato:login:ip:"+clientIP, "gomato:login:acct:"+hex.EncodeToString(h[:16]))
	})
	attempt := func(server, password string) int {
		body := strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))
		req, _ := http.NewRequest("POST", server+"/api/v1/auth/login", body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", clientIP)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 10; i++ {
		if st := attempt(servers[i%2], "a wrong password"); st != 401 {
			t.Fatalf("attempt %d on process %d = %d, want 401", i+1, i%2+1, st)
		}
	}
	for i, s := range servers {
		if st := attempt(s, "the right password"); st != 429 {
			t.Fatalf("attempt over the limit on process %d = %d, want 429", i+1, st)
		}
	}
}
