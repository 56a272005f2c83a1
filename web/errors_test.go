package web

import (
	"fmt"
	"testing"

	"github.com/lib/pq"
)

// TestUnstorableTextIsA422: Postgres' refusals of a NUL or an
// unconvertible character are the client's input, not a server fault.
func TestUnstorableTextIsA422(t *testing.T) {
	for _, code := range []pq.ErrorCode{"22021", "22P05"} {
		err := fmt.Errorf("create note: %w", &pq.Error{Code: code, Message: "invalid byte sequence"})
		st, d := toDetail(err)
		if st != 422 || d.Code != "invalid" || d.Fields["body"] == "" {
			t.Errorf("pq %s: %d %+v, want 422 invalid with a field message", code, st, d)
		}
	}
	if st, _ := toDetail(&pq.Error{Code: "23514"}); st != 500 {
		t.Errorf("another pq error = %d, want 500", st)
	}
}
