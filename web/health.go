package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

func (s *Server) healthRoutes() []Route {
	return []Route{
		{Method: fiber.MethodGet, Path: "/healthz", Public: true, Handler: s.healthz},
		{Method: fiber.MethodGet, Path: "/readyz", Public: true, Handler: s.readyz},
	}
}

// healthz answers while the process is up.
func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz checks what serving needs: Postgres and Redis reachable and the
// control schema at the version this binary expects.
func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	checks := fiber.Map{}
	ready := true
	if err := s.deps.DB.PingContext(ctx); err != nil {
		checks["postgres"], ready = "unreachable", false
	} else {
		checks["postgres"] = "ok"
		v, err := tenant.SchemaVersion(ctx, s.deps.DB, tenant.ControlSchema)
		switch {
		case err != nil:
			checks["control_schema"], ready = "not migrated: run gomato migrate", false
		case v != s.cfg.ControlVersion:
			checks["control_schema"], ready = "at "+v+", want "+s.cfg.ControlVersion+": run gomato migrate", false
		default:
			checks["control_schema"] = v
		}
	}
	if s.deps.Redis == nil || s.deps.Redis.Ping(ctx).Err() != nil {
		checks["redis"], ready = "unreachable", false
	} else {
		checks["redis"] = "ok"
	}
	if !ready {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks,
			"error": fiber.Map{"code": core.CodeUnavailable, "message": "not ready"}})
	}
	return c.JSON(fiber.Map{"status": "ready", "checks": checks})
}
