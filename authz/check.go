package authz

import (
	"context"

	"github.com/gomato/gomato/core"
)

type authorizerKey struct{}

// WithAuthorizer returns a context that carries a, so that Check and Can
// work anywhere below the HTTP edge. web binds it to every request.
func WithAuthorizer(ctx context.Context, a *Authorizer) context.Context {
	return context.WithValue(ctx, authorizerKey{}, a)
}

// AuthorizerFrom returns the Authorizer in ctx, or nil.
func AuthorizerFrom(ctx context.Context) *Authorizer {
	a, _ := ctx.Value(authorizerKey{}).(*Authorizer)
	return a
}

// Check returns nil when the context's actor holds p in the context's
// tenant: a forbidden error when they do not, an unauthenticated one when
// there is no actor. The system actor (jobs, CLI) holds everything.
// Handlers and stores use it for rules finer than a route, e.g. whether
// score fields may be shown (P(Scores, Read)).
func Check(ctx context.Context, p Permission) error {
	act, ok := core.ActorFrom(ctx)
	if !ok {
		return &core.Error{Code: core.CodeUnauthenticated, Message: "sign in first"}
	}
	if act.System {
		return nil
	}
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return &core.Error{Code: core.CodeForbidden, Message: "you may not " + p.String() + " outside a tenant"}
	}
	a := AuthorizerFrom(ctx)
	if a == nil {
		return ErrNoAuthorizer
	}
	allowed, err := a.Enforce(ctx, t.ID, act.UserID, p)
	if err != nil {
		return err
	}
	if !allowed {
		return &core.Error{Code: core.CodeForbidden, Message: "you may not " + p.String() + " in this tenant"}
	}
	return nil
}

// Can reports whether Check(ctx, p) passes; errors count as no.
func Can(ctx context.Context, p Permission) bool { return Check(ctx, p) == nil }
