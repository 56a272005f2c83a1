// Package authz owns authorization: the Casbin model (RBAC with domains,
// tenant = domain), the default role policies of DESIGN §4, the policy
// store and its change listener, role administration, and Check. Objects
// and actions are the constants below, never string literals at call sites.
//
// Policies live in control.authz_rules, one tenant per row; an Authorizer
// loads one tenant's rows into its own Casbin enforcer (with the tenant's
// roles and active members), so no decision or listing can ever reach
// another tenant. Every change runs in a transaction that also sends
// pg_notify(NotifyChannel, tenant id): the replica that made it drops its
// copy at once, the others when Listen hears the notice (measured at a few
// milliseconds), so a revoked role stops working within a second
// everywhere.
//
// Handlers and stores ask finer questions than a route's permission with
// Check(ctx, perm) or Can(ctx, perm), e.g. Can(ctx, P(Scores, Read))
// before showing score fields; web puts the Authorizer, the tenant and the
// actor into every request's context. The system actor holds everything.
//
// Above tenants there are no Casbin rules: platform operators hold the
// installation-level permissions (OperatorHolds) and agency admins those
// of their own agency (AgencyAdminHolds); neither reads a tenant's
// business data without also being a member.
package authz
