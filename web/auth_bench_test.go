package web_test

import (
	"testing"

	"github.com/gomato/gomato/web/webtest"
)

// BenchmarkAuthChain: what authentication, membership and a Casbin
// decision add to a request, against a public route through the same
// app.Test path. Run: go test -run '^$' -bench AuthChain ./web/
func BenchmarkAuthChain(b *testing.B) {
	h := webtest.New(b)
	tn := h.Tenant(b, "bench")
	admin := h.User(b, tn, "tenant_admin")
	b.Run("public", func(b *testing.B) {
		for b.Loop() {
			if r := h.Do(b, webtest.Req{Path: "/healthz"}); r.Status != 200 {
				b.Fatal(r.Status)
			}
		}
	})
	b.Run("session+membership+casbin", func(b *testing.B) {
		for b.Loop() {
			if r := h.Do(b, webtest.Req{As: admin, Tenant: tn.Slug, Path: "/api/v1/permissions"}); r.Status != 200 {
				b.Fatal(r.Status)
			}
		}
	})
}
