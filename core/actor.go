package core

import (
	"context"

	"github.com/google/uuid"
)

// Actor is who is acting: a signed-in user, an API token's owner, or the
// system (jobs, CLI). Authorization decisions are made by authz from the
// actor and the tenant in the same context.
type Actor struct {
	UserID   uuid.UUID `json:"user_id"`
	Email    string    `json:"email"`
	Name     string    `json:"name"`
	Locale   string    `json:"locale,omitempty"`
	Operator bool      `json:"operator"`
	// Roles are the actor's roles in the context's tenant.
	Roles []string `json:"roles,omitempty"`
	// OwnRecordsOnly is set when one of the actor's roles in the tenant has
	// the own-records scope and no unscoped role grants more: the actor
	// sees only customers they own and what hangs off them.
	OwnRecordsOnly bool `json:"own_records_only"`
	// System marks work done by the product itself (jobs, CLI, demo).
	System bool `json:"system,omitempty"`
}

type actorKey struct{}

// WithActor returns a context that carries a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// SystemActor is the actor for work the product does on its own.
var SystemActor = Actor{Name: "system", System: true}
