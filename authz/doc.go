// Package authz owns authorization: the Casbin model (RBAC with domains,
// tenant = domain), the default role policies of DESIGN §4, the policy
// store and its change listener, role administration, and Check. Objects
// and actions are the constants below, never string literals at call sites.
package authz
