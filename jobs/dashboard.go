package jobs

import (
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// DashboardConfig names the Redis the queue dashboard inspects.
type DashboardConfig struct {
	RedisAddr string
	RedisDB   int
	// ReadOnly hides the dashboard's buttons that change tasks.
	ReadOnly bool
}

// QueueDashboard returns asynqmon's web UI and API, served under prefix
// (e.g. /admin/queues). It shows and can change every tenant's tasks, so
// the caller must mount it for platform operators only (DESIGN §4, §11);
// tenant admins see their own runs through the API instead. It is a plain
// http.Handler so that web can mount it without importing asynq. Close
// releases its Redis connections.
func QueueDashboard(prefix string, cfg DashboardConfig) *Dashboard {
	h := asynqmon.New(asynqmon.Options{
		RootPath:     prefix,
		RedisConnOpt: asynq.RedisClientOpt{Addr: cfg.RedisAddr, DB: cfg.RedisDB},
		ReadOnly:     cfg.ReadOnly,
	})
	return &Dashboard{h: h}
}

// Dashboard is the queue dashboard handler.
type Dashboard struct{ h *asynqmon.HTTPHandler }

func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.h.ServeHTTP(w, r) }

// Close releases the dashboard's Redis connections.
func (d *Dashboard) Close() error { return d.h.Close() }
