package web

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
)

// savedResponse is what a replay needs of the first response.
type savedResponse struct {
	Location string `json:"location,omitempty"`
	Body     []byte `json:"body"`
}

// HeaderIdempotencyKey lets integrations retry a create safely (DESIGN §8).
const HeaderIdempotencyKey = "Idempotency-Key"

// idempotent wraps a create handler with Idempotency-Key support: the key
// is scoped to the tenant and the caller and kept 24 h; a retry with the
// same key and the same request replays the first response (with
// Idempotent-Replayed: true); the same key with a different request, or
// while the first is still running, is a 409. Only successful responses
// are kept: after a failure the client may fix the request and retry with
// the same key.
func (s *Server) idempotent(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := strings.TrimSpace(c.Get(HeaderIdempotencyKey))
		if key == "" {
			return h(c)
		}
		if len(key) > 255 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			return core.Invalid(map[string]string{HeaderIdempotencyKey: "use at most 255 printable ASCII characters"})
		}
		ctx := c.UserContext()
		act, ok := core.ActorFrom(ctx)
		if !ok {
			return &core.Error{Code: core.CodeUnauthenticated, Message: "sign in first"}
		}
		k := store.IdempotencyKey{Caller: "user:" + act.UserID.String(), Key: key, Route: c.Method() + " " + c.Route().Path}
		sum := sha256.New()
		sum.Write([]byte(c.Method() + " " + c.Path() + "\n"))
		sum.Write(c.Body())
		hash := sum.Sum(nil)
		st := s.apiStore()
		rec, err := st.ClaimIdempotencyKey(ctx, k, hash)
		if err != nil {
			return err
		}
		if rec != nil {
			switch {
			case !rec.Same(hash):
				return &core.Error{Code: core.CodeConflict, Message: "this Idempotency-Key was used with a different request",
					Fields: map[string]string{HeaderIdempotencyKey: "already used with a different request"}}
			case rec.Status == 0:
				return core.Errorf(core.CodeConflict, "the first request with this Idempotency-Key is still running; retry later")
			}
			var saved savedResponse
			if err := json.Unmarshal(rec.Response, &saved); err != nil {
				return fmt.Errorf("stored idempotent response: %w", err)
			}
			if saved.Location != "" {
				c.Location(saved.Location)
			}
			c.Set("Idempotent-Replayed", "true")
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
			return c.Status(rec.Status).Send(saved.Body)
		}
		err = h(c)
		status := c.Response().StatusCode()
		if err != nil || status < 200 || status > 299 {
			if rerr := st.ReleaseIdempotencyKey(ctx, k); rerr != nil {
				s.log.Error("release idempotency key", "request_id", requestID(c), "err", rerr)
			}
			return err
		}
		saved, merr := json.Marshal(savedResponse{Location: string(c.Response().Header.Peek(fiber.HeaderLocation)), Body: c.Response().Body()})
		if merr != nil {
			return merr
		}
		if ferr := st.FinishIdempotencyKey(ctx, k, status, saved); ferr != nil {
			s.log.Error("store idempotent response", "request_id", requestID(c), "err", ferr)
		}
		return nil
	}
}
