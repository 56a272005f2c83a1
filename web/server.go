package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant"
)

// Config is the part of the installation's configuration the web side needs.
type Config struct {
	// BaseDomain lets API clients name the tenant by host:
	// <slug>.<BaseDomain>. Empty disables host resolution.
	BaseDomain string
	// ControlVersion is the control-schema version this binary expects;
	// /readyz fails until the database is migrated to it.
	ControlVersion string
	// TrustedProxies are the proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (GOMATO_TRUSTED_PROXIES); nobody's
	// when empty.
	TrustedProxies []netip.Prefix
	// Login limits the sign-in attempts per account and per client IP;
	// zero values take the defaults.
	Login LoginLimits
	// KeyPrefix prefixes this installation's Redis keys ("gomato:" when
	// empty); tests use their own.
	KeyPrefix string
}

// Deps are the concrete pieces the server works with; cmd/gomato wires them.
type Deps struct {
	DB       *sqlx.DB
	Registry *tenant.Registry
	Redis    redis.UniversalClient
	Log      *slog.Logger
	// Metrics is where HTTP metrics are registered; nil means a private
	// registry (tests).
	Metrics prometheus.Registerer
	// Users is the control-plane store of users, sessions, tokens and
	// invites; nil means one over DB.
	Users *tenant.Users
	// Audit records who did what; nil means one over DB.
	Audit *tenant.Audit
	// Authz decides permissions; nil means one over DB that hears no
	// other replica (the wirer starts its Listen).
	Authz *authz.Authorizer
	// Jobs records and enqueues background work (scoring runs); nil
	// answers 503 where it is needed.
	Jobs *jobs.Client
	// Queues is the queue dashboard (jobs.QueueDashboard) built for
	// QueueDashboardPath, for platform operators; nil answers 503.
	Queues http.Handler
}

// Server is the HTTP server.
type Server struct {
	cfg     Config
	deps    Deps
	app     *fiber.App
	log     *slog.Logger
	metrics *httpMetrics
	routes  []Route
}

// New builds the server and registers every route.
func New(cfg Config, d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Metrics == nil {
		d.Metrics = prometheus.NewRegistry()
	}
	if d.Users == nil {
		d.Users = &tenant.Users{DB: d.DB}
	}
	if d.Audit == nil {
		d.Audit = &tenant.Audit{DB: d.DB}
	}
	if d.Authz == nil {
		d.Authz = authz.New(d.DB, d.Log)
	}
	cfg.Login = cfg.Login.withDefaults()
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = "gomato:"
	}
	s := &Server{cfg: cfg, deps: d, log: d.Log}
	s.app = fiber.New(fiber.Config{
		// Fiber reuses request buffers: without Immutable a saved param
		// turns into another request's value.
		Immutable:             true,
		DisableStartupMessage: true,
		// Responses are encoded by goccy/go-json, a drop-in for
		// encoding/json at a fraction of its CPU (a page of 50 customers:
		// most of what HTTP adds to the list). Requests are still decoded
		// strictly by encoding/json (decode.go).
		JSONEncoder:  gojson.Marshal,
		ErrorHandler: s.handleError,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 60 * time.Second,
		BodyLimit:    64 << 20,
		// Without the check Fiber believes X-Forwarded-* from anyone.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          prefixStrings(cfg.TrustedProxies),
	})
	s.metrics = newHTTPMetrics(d.Metrics)
	s.app.Use(requestid.New())
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	s.app.Use(s.metrics.middleware)
	// Before any handler: a NUL character would otherwise reach SQL.
	s.app.Use(rejectNUL)
	s.app.Use(bindTaskRules)
	s.register(s.allRoutes())
	s.app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return s
}

// App exposes the Fiber app for tests (app.Test) and for serving.
func (s *Server) App() *fiber.App { return s.app }

// Routes lists every registered route with its permission declaration.
func (s *Server) Routes() []Route { return s.routes }

// Listen serves on addr until ctx is cancelled, then shuts down gracefully.
func (s *Server) Listen(ctx context.Context, addr string) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listen(addr) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return s.app.ShutdownWithTimeout(20 * time.Second)
	}
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic", "request_id", requestID(c), "path", c.Path(), "panic", e)
}

func requestID(c *fiber.Ctx) string {
	if v, ok := c.Locals("requestid").(string); ok {
		return v
	}
	return ""
}
