package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

type httpMetrics struct {
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gomato_http_request_duration_seconds",
		Help:    "HTTP request latency by route and status.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"method", "route", "status"})}
	if err := reg.Register(m.duration); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			m.duration = are.ExistingCollector.(*prometheus.HistogramVec)
		}
	}
	return m
}

func (m *httpMetrics) middleware(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status, _ = toDetail(err)
	}
	// The route pattern, not the raw path, keeps label cardinality bounded.
	m.duration.WithLabelValues(c.Method(), c.Route().Path, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
	return err
}
